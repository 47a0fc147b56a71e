//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
)

const (
	kindTime  = "time"  // lower is better; tether's ratio to each peer, run by run
	kindCount = "count" // survivors: a count, no ratio
	kindKept  = "kept"  // 1 kept / 0 lost per run
	kindInfo  = "info"  // context, not a comparison
	// kindPlain: shown as figures, no ratio taken (times under each tool's
	// own defaults compare choices of setting, not speed; sizes of output).
	kindPlain = "plain"
)

type stat struct {
	N      int     `json:"n"`
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
}

type metric struct {
	ID         string                `json:"id"`
	Title      string                `json:"title"`
	Short      string                `json:"short"`
	Unit       string                `json:"unit"`
	Kind       string                `json:"kind"`
	Configured map[string]string     `json:"configured,omitempty"`
	Values     map[string][]*float64 `json:"values"` // per tool, per run (null: that run failed)
	Details    map[string][]string   `json:"details,omitempty"`
	Stats      map[string]stat       `json:"stats"`
	Ratios     map[string]stat       `json:"ratios,omitempty"` // tether ÷ peer, paired by run
	mu         sync.Mutex
	runs       int
}

type results struct {
	Machine    map[string]string `json:"machine"`
	Versions   map[string]string `json:"versions"`
	Tools      []string          `json:"tools"`
	Skipped    map[string]string `json:"skipped"`
	Reference  []string          `json:"reference"` // shown, but no ratios taken (hand-written code)
	Metrics    []*metric         `json:"metrics"`
	Notes      []string          `json:"notes"`
	LoadBefore string            `json:"loadavg_before"`
	LoadAfter  string            `json:"loadavg_after"`
	Elapsed    string            `json:"elapsed"`
	Runs       int               `json:"runs"`
	FloodMB    int               `json:"flood_mb"`
}

func newResults() *results {
	return &results{Versions: map[string]string{}, Skipped: map[string]string{}}
}

func (r *results) metric(id, title, unit, kind string) *metric {
	m := &metric{ID: id, Title: title, Unit: unit, Kind: kind, Values: map[string][]*float64{}, Details: map[string][]string{}}
	r.Metrics = append(r.Metrics, m)
	return m
}

func (m *metric) add(tool string, run int, v float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	vs := m.Values[tool]
	for len(vs) <= run {
		vs = append(vs, nil)
	}
	vs[run] = &v
	m.Values[tool] = vs
	if run+1 > m.runs {
		m.runs = run + 1
	}
}

func (m *metric) addDetail(tool, d string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Details[tool] = append(m.Details[tool], d)
}

func summarize(vs []float64) stat {
	if len(vs) == 0 {
		return stat{}
	}
	s := append([]float64(nil), vs...)
	sort.Float64s(s)
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return stat{N: len(s), Median: med, Min: s[0], Max: s[len(s)-1]}
}

func (m *metric) compute() {
	m.Stats = map[string]stat{}
	for tool, vs := range m.Values {
		var xs []float64
		for _, v := range vs {
			if v != nil {
				xs = append(xs, *v)
			}
		}
		m.Stats[tool] = summarize(xs)
	}
	if m.Kind != kindTime {
		return
	}
	m.Ratios = map[string]stat{}
	tv := m.Values["tether"]
	for tool, vs := range m.Values {
		if tool == "tether" {
			continue
		}
		var xs []float64
		for i := 0; i < len(vs) && i < len(tv); i++ {
			if vs[i] != nil && tv[i] != nil && *vs[i] > 0 {
				xs = append(xs, *tv[i] / *vs[i])
			}
		}
		if len(xs) > 0 {
			m.Ratios[tool] = summarize(xs)
		}
	}
}

func num(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "0"
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	case a >= 1:
		return fmt.Sprintf("%.2f", v)
	case a >= 0.01:
		return fmt.Sprintf("%.3f", v)
	default:
		return fmt.Sprintf("%.2g", v)
	}
}

// ratioPeers are the peers tether's figures are divided by.
func (r *results) ratioPeers() []string {
	var ps []string
	for _, t := range r.peersOnly() {
		if _, skip := r.Skipped[t]; !skip && !slices.Contains(r.Reference, t) {
			ps = append(ps, t)
		}
	}
	return ps
}

func (r *results) peersOnly() []string {
	var ps []string
	for _, t := range r.Tools {
		if t != "tether" {
			ps = append(ps, t)
		}
	}
	return ps
}

func (r *results) cell(m *metric, tool string) string {
	if why, ok := r.Skipped[tool]; ok && why != "" {
		return "not run"
	}
	st, ok := m.Stats[tool]
	if !ok || st.N == 0 {
		if c := m.Configured[tool]; strings.HasPrefix(c, "n/a") {
			return "n/a"
		}
		return "—"
	}
	switch m.Kind {
	case kindKept:
		k := 0
		for _, v := range m.Values[tool] {
			if v != nil && *v == 1 {
				k++
			}
		}
		if k == st.N {
			return fmt.Sprintf("kept %d/%d", k, st.N)
		}
		return fmt.Sprintf("**kept %d/%d**", k, st.N)
	case kindCount:
		s := num(st.Median)
		if st.Min != st.Max {
			s += fmt.Sprintf(" (%s–%s)", num(st.Min), num(st.Max))
		}
		if d := dedup(m.Details[tool]); d != "" {
			s += ": " + d
		}
		return s
	}
	return fmt.Sprintf("%s (%s–%s)", num(st.Median), num(st.Min), num(st.Max))
}

// dedup names what survived, as the set seen over the runs.
func dedup(ds []string) string {
	seen := map[string]bool{}
	var out []string
	for _, d := range ds {
		for _, x := range strings.Split(d, "+") {
			if x != "" && !seen[x] {
				seen[x] = true
				out = append(out, x)
			}
		}
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func uniq(ds []string) string {
	seen := map[string]bool{}
	var out []string
	for _, d := range ds {
		if !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return strings.Join(out, ", ")
}

func (r *results) ratioCell(m *metric, tool string) string {
	st, ok := m.Ratios[tool]
	if !ok || st.N == 0 {
		return "—"
	}
	return fmt.Sprintf("%s (%s–%s)", ratioNum(st.Median), ratioNum(st.Min), ratioNum(st.Max))
}

func ratioNum(v float64) string {
	if v < 0.01 {
		return fmt.Sprintf("%.4f", v)
	}
	if v < 0.1 {
		return fmt.Sprintf("%.3f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// markdown is the results table (and the settings beneath it).
func (r *results) markdown() string {
	var b strings.Builder
	peers := r.peersOnly()
	b.WriteString("| figure | unit | tether |")
	for _, p := range peers {
		b.WriteString(" " + p + " |")
	}
	for _, p := range r.ratioPeers() {
		b.WriteString(" tether ÷ " + p + " |")
	}
	b.WriteString("\n|---|---|---|")
	for range peers {
		b.WriteString("---|")
	}
	for range r.ratioPeers() {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, m := range r.Metrics {
		if m.Kind == kindInfo {
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %s |", m.Title, m.Unit, r.cell(m, "tether"))
		for _, p := range peers {
			b.WriteString(" " + r.cell(m, p) + " |")
		}
		for _, p := range r.ratioPeers() {
			b.WriteString(" " + r.ratioCell(m, p) + " |")
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\nEach cell: median (min–max) of %d runs; ratios are tether's figure divided by the peer's in the same run, then the median (min–max) of those ratios (below 1: tether is lower, i.e. faster or smaller).\n", r.Runs)
	for _, m := range r.Metrics {
		if m.Kind == kindInfo {
			if st := m.Stats["direct"]; st.N > 0 {
				fmt.Fprintf(&b, "Every restart gap includes the child's own start (exec and Go runtime start-up to its first statement): %s ms (%s–%s) when spawned directly.\n", num(st.Median), num(st.Min), num(st.Max))
			}
		}
	}
	for _, m := range r.Metrics {
		if c := uniq(m.Details["tether-containment"]); c != "" {
			fmt.Fprintf(&b, "tether's containment in %s (its `spawned` event): %s.\n", m.ID, c)
		}
	}
	for tool, why := range r.Skipped {
		fmt.Fprintf(&b, "%s: not run: %s.\n", tool, why)
	}
	var run []string
	for _, t := range r.Tools {
		if _, skip := r.Skipped[t]; !skip {
			run = append(run, t)
		}
	}
	b.WriteString("\n**Settings per figure** (equivalent for each tool):\n\n| figure |")
	for _, t := range run {
		b.WriteString(" " + t + " |")
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(run)) + "\n")
	for _, m := range r.Metrics {
		if m.Configured["tether"] == "" {
			continue
		}
		fmt.Fprintf(&b, "| %s |", m.ID)
		for _, t := range run {
			b.WriteString(" " + m.Configured[t] + " |")
		}
		b.WriteString("\n")
	}
	return b.String()
}

func (r *results) write(dir string) error {
	r.Runs = 0
	for _, m := range r.Metrics {
		m.compute()
		for _, vs := range m.Values {
			if len(vs) > r.Runs {
				r.Runs = len(vs)
			}
		}
	}
	os.MkdirAll(dir, 0o755)
	js, _ := json.MarshalIndent(r, "", "  ")
	if err := os.WriteFile(filepath.Join(dir, "peers.json"), append(js, '\n'), 0o644); err != nil {
		return err
	}
	var c strings.Builder
	c.WriteString("metric,unit,tool,n,median,min,max,ratio_median,ratio_min,ratio_max,values\n")
	for _, m := range r.Metrics {
		tools := append([]string{}, r.Tools...)
		if m.Kind == kindInfo {
			tools = []string{"direct"}
		}
		for _, t := range tools {
			st, ok := m.Stats[t]
			if !ok {
				continue
			}
			ra := m.Ratios[t]
			var vals []string
			for _, v := range m.Values[t] {
				if v == nil {
					vals = append(vals, "")
				} else {
					vals = append(vals, fmt.Sprintf("%.6g", *v))
				}
			}
			rs := ",,"
			if ra.N > 0 {
				rs = fmt.Sprintf("%.4g,%.4g,%.4g", ra.Median, ra.Min, ra.Max)
			}
			fmt.Fprintf(&c, "%s,%s,%s,%d,%.6g,%.6g,%.6g,%s,%s\n", m.ID, m.Unit, t, st.N, st.Median, st.Min, st.Max, rs, strings.Join(vals, ";"))
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "peers.csv"), []byte(c.String()), 0o644); err != nil {
		return err
	}
	var md strings.Builder
	md.WriteString("# tether and its peers: results of bench/peers/run.sh\n\n")
	fmt.Fprintf(&md, "Machine: %s cores, %s RAM, %s, %s, %s. Load average %s before, %s after; %s in all.\n\n",
		r.Machine["cores"], r.Machine["ram"], r.Machine["cpu"], r.Machine["kernel"], r.Machine["os"], r.LoadBefore, r.LoadAfter, r.Elapsed)
	md.WriteString("Versions: ")
	var vs []string
	for _, t := range r.Tools {
		if v := r.Versions[t]; v != "" {
			vs = append(vs, t+": "+v)
		}
	}
	vs = append(vs, r.Machine["go"])
	md.WriteString(strings.Join(vs, "; ") + ".\n\n")
	md.WriteString(r.markdown())
	if len(r.Notes) > 0 {
		md.WriteString("\nNotes from the run:\n\n")
		for _, n := range r.Notes {
			md.WriteString("- " + n + "\n")
		}
	}
	md.WriteString("\n![latencies](peers-latency.png)\n\n![throughput and memory](peers-resources.png)\n\n![ratios](peers-ratios.png)\n")
	if err := os.WriteFile(filepath.Join(dir, "peers.md"), []byte(md.String()), 0o644); err != nil {
		return err
	}
	if err := r.plot(dir); err != nil {
		fmt.Fprintln(os.Stderr, "plots:", err)
	}
	return nil
}

func (r *results) print(w io.Writer) {
	fmt.Fprintln(w, r.markdown())
	for _, n := range r.Notes {
		fmt.Fprintln(w, "note:", n)
	}
}

// plot writes gnuplot data and script, and runs gnuplot if it is there.
func (r *results) plot(dir string) error {
	var tools []string
	for _, t := range r.Tools {
		if _, skip := r.Skipped[t]; !skip {
			tools = append(tools, t)
		}
	}
	find := func(id string) *metric {
		for _, m := range r.Metrics {
			if m.ID == id {
				return m
			}
		}
		return nil
	}
	var data strings.Builder
	blocks := 0
	// block writes one gnuplot data block (median, min, max per tool, one
	// row per figure) and returns its index and its xtics.
	block := func(ids []string, labels []string, scale float64) (int, string) {
		var tics []string
		row := 0
		for k, id := range ids {
			m := find(id)
			if m == nil {
				continue
			}
			for _, t := range tools {
				st, ok := m.Stats[t]
				if !ok || st.N == 0 {
					data.WriteString(" NaN NaN NaN")
					continue
				}
				fmt.Fprintf(&data, " %g %g %g", st.Median*scale, st.Min*scale, st.Max*scale)
			}
			data.WriteString("\n")
			tics = append(tics, fmt.Sprintf("%q %d", labels[k], row))
			row++
		}
		data.WriteString("\n\n")
		blocks++
		return blocks - 1, "set xtics (" + strings.Join(tics, ", ") + ")\n"
	}
	colors := []string{"#1b9e77", "#d95f02", "#7570b3", "#e7298a"}
	hist := func(g *strings.Builder, ids, labels []string, scale float64, title, ylabel string, logy bool, ymax float64) {
		idx, tics := block(ids, labels, scale)
		fmt.Fprintf(g, "set title %q\nset ylabel %q\n%s", title, ylabel, tics)
		if logy {
			g.WriteString("set logscale y\nset format y '%g'\nset yrange [*:*]\n")
		} else {
			g.WriteString("unset logscale y\nset format y '%g'\n")
			if ymax > 0 {
				fmt.Fprintf(g, "set yrange [0:%g]\n", ymax)
			} else {
				g.WriteString("set yrange [0:*]\n")
			}
		}
		// Only the tools with a figure in this panel (gnuplot refuses a
		// column of nothing but NaN); each keeps its colour.
		g.WriteString("plot ")
		first := true
		for k, t := range tools {
			has := false
			for _, id := range ids {
				if m := find(id); m != nil && m.Stats[t].N > 0 {
					has = true
				}
			}
			if !has {
				continue
			}
			if !first {
				g.WriteString(", ")
			}
			first = false
			c := 1 + 3*k
			fmt.Fprintf(g, "'peers.dat' index %d using %d:%d:%d title %q lc rgb %q", idx, c, c+1, c+2, t, colors[k%len(colors)])
		}
		g.WriteString("\n")
	}
	var g strings.Builder
	g.WriteString("set termoption noenhanced\nset style data histogram\nset style histogram errorbars gap 1 lw 1.5\nset style fill solid 0.85 border -1\nset key top left\nset grid ytics\nset bars 2\nset xtics nomirror scale 0\nset bmargin 4\nset key top left vertical\n")
	g.WriteString("set terminal pngcairo size 1500,700 font 'DejaVu Sans,12' noenhanced\nset output 'peers-latency.png'\n")
	fmt.Fprintf(&g, "set multiplot title %q\n", fmt.Sprintf("tether and its peers: median of %d runs, bars min–max (lower is better)", r.Runs))
	g.WriteString("set size 0.74,0.93\nset origin 0,0\nset key top right\n")
	hist(&g, []string{"restart_gap_ms", "stop_ms", "escalate_1s_over_ms", "ready_http_ms", "ready_tcp_ms", "ready_notify_ms"},
		[]string{"(1) restart gap\nafter kill -9", "(2) stop,\ncooperative", "(3) escalation,\nbeyond 1 s", "(8) ready\n(tether http)", "(8) ready\n(tether tcp)", "(8) ready\n(tether notify)"},
		1, "latencies (ms, log scale; pm2's readiness is a push, supervisord has none)", "ms", true, 0)
	g.WriteString("set size 0.26,0.93\nset origin 0.74,0\nset key top left\n")
	hist(&g, []string{"escalate_default_ms"}, []string{"(3b) TERM-ignoring child,\neach tool's defaults"}, 1e-3, "time to full stop, defaults", "s", false, 0)
	g.WriteString("unset multiplot\n")
	g.WriteString("set output 'peers-resources.png'\n")
	fmt.Fprintf(&g, "set multiplot layout 1,3 title %q\n", fmt.Sprintf("resources and containment: median of %d runs, bars min–max (lower is better)", r.Runs))
	hist(&g, []string{"flood_wall_s", "flood_cpu_s", "flood_raw_wall_s", "flood_raw_cpu_s"}, []string{"wall time", "supervisor CPU", "wall, tether\nraw log", "CPU, tether\nraw log"}, 1, fmt.Sprintf("(6) %d MB of 100-byte lines", r.FloodMB), "s", false, 0)
	hist(&g, []string{"rss_1_mib", "rss_50_mib"}, []string{"1 child", "50 children"}, 1, "(7) supervisor RSS, idle", "MiB", false, 0)
	hist(&g, []string{"survivors_sigkill", "survivors_clean"}, []string{"after SIGKILL\nof the supervisor", "after a\nclean stop"}, 1, "(4) processes left, of 4", "processes", false, 6)
	g.WriteString("unset multiplot\n")
	if err := os.WriteFile(filepath.Join(dir, "peers.dat"), []byte(data.String()), 0o644); err != nil {
		return err
	}
	// Ratios: one point per (figure, peer).
	var rd strings.Builder
	n := 0
	for _, m := range r.Metrics {
		if m.Kind != kindTime || m.ID == "escalate_1s_ms" {
			continue
		}
		for _, t := range r.ratioPeers() {
			if st, ok := m.Ratios[t]; ok && st.N > 0 {
				fmt.Fprintf(&rd, "%q %g %g %g\n", m.Short+" ÷ "+t, st.Median, st.Min, st.Max)
				n++
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "peers-ratios.dat"), []byte(rd.String()), 0o644); err != nil {
		return err
	}
	g.WriteString("reset\nset termoption noenhanced\n")
	fmt.Fprintf(&g, "set terminal pngcairo size 1300,%d font 'DejaVu Sans,12' noenhanced\nset output 'peers-ratios.png'\n", 160+32*n)
	g.WriteString("set title 'tether ÷ peer, paired run by run: median, bars min–max (left of the red line: tether better)'\n")
	g.WriteString("set logscale x\nset format x '%g'\nset grid xtics\nset xlabel 'ratio (log scale)'\nset yrange [-0.7:*] reverse\nset ytics nomirror\nset key off\nset xrange [*:*]\n")
	g.WriteString("set arrow from 1, graph 0 to 1, graph 1 nohead lc rgb 'red' lw 2\n")
	g.WriteString("plot 'peers-ratios.dat' using 2:0:3:4:ytic(1) with xerrorbars pt 7 ps 1.5 lc rgb '#1b9e77'\n")
	if err := os.WriteFile(filepath.Join(dir, "peers.gp"), []byte(g.String()), 0o644); err != nil {
		return err
	}
	if _, err := exec.LookPath("gnuplot"); err != nil {
		fmt.Fprintln(os.Stderr, "gnuplot not found: plots not drawn (peers.gp is there)")
		return nil
	}
	cmd := exec.Command("gnuplot", "peers.gp")
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	return cmd.Run()
}
