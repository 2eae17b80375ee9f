package format

import "slices"

// list is every format Garda reads, and the only place that knows them
// all: a new format is a file beside this one and a line here.
func list() []Format {
	return []Format{
		Nginx{},
		Apache{},
		JSON{},
		Coraza{},
		&Auth{},
		&Syslog{},
	}
}

// Lookup returns a new instance of the format called name (so that a
// caller may set the options of its own, as Auth's and Syslog's).
func Lookup(name string) (Format, bool) {
	for _, f := range list() {
		if f.Name() == name {
			return f, true
		}
	}
	return nil, false
}

// Names lists the formats' names, sorted.
func Names() []string {
	var names []string
	for _, f := range list() {
		names = append(names, f.Name())
	}
	slices.Sort(names)
	return names
}
