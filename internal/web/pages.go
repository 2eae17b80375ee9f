package web

// pages is the server-rendered UI. (Being written: see the UI task.)
type pages struct{ s *Server }

func newPages(s *Server) (*pages, error) { return &pages{s: s}, nil }

func (p *pages) routes() {}
