// Package metrics exposes counters, gauges and histograms in the Prometheus
// text format. It is small on purpose: Garda needs a handful of metric
// families, not a client library's dependency tree. It must never block
// the hot path beyond one mutex per observation.
package metrics

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Registry holds metric families and writes them out.
type Registry struct {
	mu       sync.Mutex
	families map[string]*family
}

// New makes an empty registry.
func New() *Registry { return &Registry{families: map[string]*family{}} }

type family struct {
	name, help, kind string
	labels           []string
	buckets          []float64
	series           map[string]*series
	gauge            func() float64
}

type series struct {
	labelValues []string
	value       float64  // counter
	counts      []uint64 // histogram, per bucket (non-cumulative)
	sum         float64
	count       uint64
}

func (r *Registry) family(name, help, kind string, labels []string, buckets []float64) *family {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f, ok := r.families[name]; ok {
		return f
	}
	f := &family{name: name, help: help, kind: kind, labels: labels, buckets: buckets, series: map[string]*series{}}
	r.families[name] = f
	return f
}

// Counter is a monotonically increasing count, by labels.
type Counter struct {
	r *Registry
	f *family
}

// Counter registers (or finds) a counter family.
func (r *Registry) Counter(name, help string, labels ...string) *Counter {
	return &Counter{r, r.family(name, help, "counter", labels, nil)}
}

// Add adds v to the series with these label values.
func (c *Counter) Add(v float64, labelValues ...string) {
	c.r.mu.Lock()
	c.f.get(labelValues).value += v
	c.r.mu.Unlock()
}

// Inc adds one.
func (c *Counter) Inc(labelValues ...string) { c.Add(1, labelValues...) }

// Sample is one series of a counter.
type Sample struct {
	LabelValues []string
	Value       float64
}

// Samples returns the series whose first label values are prefix, in
// the order of their label values: for a page that shows what a counter
// counted of one thing (an asset's refused lines).
func (c *Counter) Samples(prefix ...string) []Sample {
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	var out []Sample
	for _, s := range c.f.series {
		if len(s.labelValues) >= len(prefix) && slices.Equal(s.labelValues[:len(prefix)], prefix) {
			out = append(out, Sample{LabelValues: slices.Clone(s.labelValues), Value: s.value})
		}
	}
	sort.Slice(out, func(i, j int) bool { return slices.Compare(out[i].LabelValues, out[j].LabelValues) < 0 })
	return out
}

// Histogram counts observations into buckets, by labels.
type Histogram struct {
	r *Registry
	f *family
}

// DefaultBuckets suit request latencies in seconds.
var DefaultBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Histogram registers (or finds) a histogram family.
func (r *Registry) Histogram(name, help string, buckets []float64, labels ...string) *Histogram {
	return &Histogram{r, r.family(name, help, "histogram", labels, buckets)}
}

// Observe records one value.
func (h *Histogram) Observe(v float64, labelValues ...string) {
	h.r.mu.Lock()
	s := h.f.get(labelValues)
	if s.counts == nil {
		s.counts = make([]uint64, len(h.f.buckets))
	}
	for i, b := range h.f.buckets {
		if v <= b {
			s.counts[i]++
			break
		}
	}
	s.sum += v
	s.count++
	h.r.mu.Unlock()
}

// GaugeFunc registers a gauge read when metrics are written.
func (r *Registry) GaugeFunc(name, help string, read func() float64) {
	f := r.family(name, help, "gauge", nil, nil)
	r.mu.Lock()
	f.gauge = read
	r.mu.Unlock()
}

func (f *family) get(values []string) *series {
	if len(values) != len(f.labels) {
		panic(fmt.Sprintf("metrics: %s wants %d label values, got %d", f.name, len(f.labels), len(values)))
	}
	key := strings.Join(values, "\xff")
	s, ok := f.series[key]
	if !ok {
		s = &series{labelValues: append([]string(nil), values...)}
		f.series[key] = s
	}
	return s
}

// WriteText writes every family in the Prometheus text exposition format.
func (r *Registry) WriteText(w io.Writer) error {
	r.mu.Lock()
	names := make([]string, 0, len(r.families))
	for n := range r.families {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	var gauges []*family
	for _, n := range names {
		f := r.families[n]
		if f.kind == "gauge" {
			gauges = append(gauges, f)
			continue
		}
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n", f.name, escapeHelp(f.help), f.name, f.kind)
		keys := make([]string, 0, len(f.series))
		for k := range f.series {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			s := f.series[k]
			if f.kind == "counter" {
				fmt.Fprintf(&b, "%s%s %s\n", f.name, labelText(f.labels, s.labelValues, "", ""), num(s.value))
				continue
			}
			var cum uint64
			for i, bound := range f.buckets {
				if s.counts != nil {
					cum += s.counts[i]
				}
				fmt.Fprintf(&b, "%s_bucket%s %d\n", f.name, labelText(f.labels, s.labelValues, "le", num(bound)), cum)
			}
			fmt.Fprintf(&b, "%s_bucket%s %d\n", f.name, labelText(f.labels, s.labelValues, "le", "+Inf"), s.count)
			fmt.Fprintf(&b, "%s_sum%s %s\n", f.name, labelText(f.labels, s.labelValues, "", ""), num(s.sum))
			fmt.Fprintf(&b, "%s_count%s %d\n", f.name, labelText(f.labels, s.labelValues, "", ""), s.count)
		}
	}
	r.mu.Unlock()
	// Gauges are read outside the lock: their functions may be slow.
	for _, f := range gauges {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n%s %s\n", f.name, escapeHelp(f.help), f.name, f.name, num(f.gauge()))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func labelText(names, values []string, extraName, extraValue string) string {
	if len(names) == 0 && extraName == "" {
		return ""
	}
	parts := make([]string, 0, len(names)+1)
	for i, n := range names {
		parts = append(parts, n+`="`+escapeLabel(values[i])+`"`)
	}
	if extraName != "" {
		parts = append(parts, extraName+`="`+extraValue+`"`)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func escapeLabel(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`).Replace(s)
}

func escapeHelp(s string) string { return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s) }

func num(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
