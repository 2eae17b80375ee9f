package format

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/garda-id/garda/internal/scan"
)

// The parts of nmap's XML (nmap.dtd, xmloutputversion 1.05) a result
// needs; the rest is skipped.
type nmapRun struct {
	XMLName xml.Name   `xml:"nmaprun"`
	Scanner string     `xml:"scanner,attr"`
	Args    string     `xml:"args,attr"`
	Start   int64      `xml:"start,attr"`
	Version string     `xml:"version,attr"`
	Hosts   []nmapHost `xml:"host"`
}

type nmapHost struct {
	StartTime int64 `xml:"starttime,attr"`
	EndTime   int64 `xml:"endtime,attr"`
	Status    struct {
		State string `xml:"state,attr"`
	} `xml:"status"`
	Addresses []struct {
		Addr     string `xml:"addr,attr"`
		AddrType string `xml:"addrtype,attr"`
	} `xml:"address"`
	Hostnames []struct {
		Name string `xml:"name,attr"`
		Type string `xml:"type,attr"`
	} `xml:"hostnames>hostname"`
	Ports       []nmapPort   `xml:"ports>port"`
	HostScripts []nmapScript `xml:"hostscript>script"`
}

type nmapPort struct {
	Protocol string `xml:"protocol,attr"`
	PortID   string `xml:"portid,attr"`
	State    struct {
		State  string `xml:"state,attr"`
		Reason string `xml:"reason,attr"`
	} `xml:"state"`
	Service *struct {
		Name      string   `xml:"name,attr"`
		Product   string   `xml:"product,attr"`
		Version   string   `xml:"version,attr"`
		ExtraInfo string   `xml:"extrainfo,attr"`
		Tunnel    string   `xml:"tunnel,attr"`
		Method    string   `xml:"method,attr"`
		Conf      string   `xml:"conf,attr"`
		CPE       []string `xml:"cpe"`
	} `xml:"service"`
	Scripts []nmapScript `xml:"script"`
}

type nmapScript struct {
	ID     string `xml:"id,attr"`
	Output string `xml:"output,attr"`
}

// Template ids of results read from nmap.
const (
	NmapOpenPort = "nmap-open-port"
	// NmapScriptPrefix + the NSE script's id, e.g. nmap-script-http-title.
	NmapScriptPrefix = "nmap-script-"
)

// ReadNmapXML reads an nmap -oX file: every open port of a host that is up
// becomes a result of type tcp with template-id nmap-open-port (its
// service, product, version and CPE in info.metadata and extracted
// results), and every NSE script's output a result nmap-script-<id> at
// that port (or at the host, for host scripts). Scripts that report a
// vulnerability in nmap's vulns format (State: VULNERABLE) are high, LIKELY
// VULNERABLE medium; everything else is info: nmap says what is there, a
// finding's severity is a template's to give.
func ReadNmapXML(r io.Reader, name string) ([]scan.Result, error) {
	dec := xml.NewDecoder(io.LimitReader(r, 1<<30))
	// nmap writes <!DOCTYPE nmaprun> without a DTD to fetch, and never
	// entities beyond XML's own: nothing is resolved.
	dec.Strict = true
	var run nmapRun
	if err := dec.Decode(&run); err != nil {
		var se *xml.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("%s:%d: not nmap XML: %s", name, se.Line, se.Msg)
		}
		return nil, fmt.Errorf("%s: not nmap XML (-oX): %w", name, err)
	}
	if run.Scanner != "" && run.Scanner != "nmap" {
		return nil, fmt.Errorf("%s: written by %q, not nmap", name, run.Scanner)
	}
	var out []scan.Result
	for hi, h := range run.Hosts {
		if h.Status.State != "" && h.Status.State != "up" {
			continue
		}
		ip, ipErr := hostIP(h)
		if ipErr != nil {
			return nil, fmt.Errorf("%s: host %d: %w", name, hi+1, ipErr)
		}
		host := ip
		for _, hn := range h.Hostnames {
			// The name the user asked for beats the reverse lookup's.
			if hn.Name != "" && (hn.Type == "user" || host == ip) {
				host = hn.Name
			}
		}
		at := time.Unix(firstNonZero(h.EndTime, h.StartTime, run.Start), 0).UTC()
		base := scan.Result{Host: host, IP: ip, Timestamp: at, Type: "tcp", MatcherStatus: true}
		for _, p := range h.Ports {
			if p.State.State != "open" {
				continue
			}
			if _, err := strconv.ParseUint(p.PortID, 10, 16); err != nil {
				return nil, fmt.Errorf("%s: host %s: port %q is not a port number", name, host, p.PortID)
			}
			hostPort := net.JoinHostPort(host, p.PortID)
			r := base
			r.TemplateID = NmapOpenPort
			r.Port = p.PortID
			r.MatchedAt = hostPort
			r.Info = scan.Info{
				Name:     "Open port " + p.PortID + "/" + p.Protocol,
				Author:   []string{"nmap"},
				Tags:     []string{"nmap", "port", p.Protocol},
				Severity: scan.SeverityInfo,
				Metadata: map[string]any{"protocol": p.Protocol, "reason": p.State.Reason},
			}
			if r.Type = p.Protocol; r.Type != "udp" {
				r.Type = "tcp"
			}
			if s := p.Service; s != nil {
				r.Info.Name += " (" + s.Name + ")"
				r.Scheme = serviceScheme(s.Name, s.Tunnel)
				for k, v := range map[string]string{"service": s.Name, "product": s.Product, "version": s.Version,
					"extrainfo": s.ExtraInfo, "tunnel": s.Tunnel, "method": s.Method} {
					if v != "" {
						r.Info.Metadata[k] = v
					}
				}
				if banner := strings.TrimSpace(strings.Join([]string{s.Product, s.Version, s.ExtraInfo}, " ")); banner != "" {
					r.ExtractedResults = []string{banner}
				}
				if len(s.CPE) > 0 {
					r.Info.Classification = &scan.Classification{CPE: s.CPE[0]}
					r.Info.Metadata["cpe"] = s.CPE
				}
			}
			out = append(out, r)
			for _, sc := range p.Scripts {
				out = append(out, scriptResult(base, sc, hostPort, p.PortID))
			}
		}
		for _, sc := range h.HostScripts {
			out = append(out, scriptResult(base, sc, host, ""))
		}
	}
	return out, nil
}

func scriptResult(base scan.Result, sc nmapScript, at, port string) scan.Result {
	r := base
	r.TemplateID = NmapScriptPrefix + sc.ID
	r.Port = port
	r.MatchedAt = at
	r.Info = scan.Info{Name: "nmap " + sc.ID, Author: []string{"nmap"}, Tags: []string{"nmap", "nse"}, Severity: scan.SeverityInfo}
	upper := strings.ToUpper(sc.Output)
	switch {
	case strings.Contains(upper, "STATE: VULNERABLE"):
		r.Info.Severity = scan.SeverityHigh
	case strings.Contains(upper, "STATE: LIKELY VULNERABLE"):
		r.Info.Severity = scan.SeverityMedium
	}
	if out := strings.TrimSpace(sc.Output); out != "" {
		r.ExtractedResults = []string{out}
	}
	return r
}

func hostIP(h nmapHost) (string, error) {
	for _, a := range h.Addresses {
		if a.AddrType == "ipv4" || a.AddrType == "ipv6" || a.AddrType == "" {
			if net.ParseIP(a.Addr) == nil {
				return "", fmt.Errorf("address %q is not an IP", a.Addr)
			}
			return a.Addr, nil
		}
	}
	return "", errors.New("no IP address")
}

func serviceScheme(service, tunnel string) string {
	switch {
	case service == "https" || (tunnel == "ssl" && strings.HasPrefix(service, "http")):
		return "https"
	case strings.HasPrefix(service, "http"):
		return "http"
	}
	return ""
}

func firstNonZero(v ...int64) int64 {
	for _, x := range v {
		if x != 0 {
			return x
		}
	}
	return 0
}
