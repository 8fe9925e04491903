// Command gwratio reads the runs that the bench harness's load driver
// (../shared/bench/gwload -out FILE) wrote and prints, per rate, each
// gateway's figures as ratios to minproxy's from the same repetition: added
// latency over the direct target (p50, p99), CPU per request and
// throughput. Figures from one run are paired by repetition, since the
// machine is shared and absolute numbers drift between repetitions.
//
//	go run ./bench/gwratio [-baseline direct] [-floor minproxy] [-portkey 711] RUNS.jsonl...
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
)

// run is the part of gwload's run record that the ratios need.
type run struct {
	Rep        int     `json:"rep"`
	Rate       int     `json:"rate"`
	Target     string  `json:"target"`
	Requests   uint64  `json:"requests"`
	Throughput float64 `json:"throughput"`
	Success    float64 `json:"success"`
	BadBody    int     `json:"bad_body"`
	P50        float64 `json:"p50_ms"`
	P99        float64 `json:"p99_ms"`
	ProcCPU    float64 `json:"proc_cpu_s"`
	ProcRSSMB  float64 `json:"proc_rss_mb"`
}

func main() {
	baseline := flag.String("baseline", "direct", "target whose latency the others add to")
	floor := flag.String("floor", "minproxy", "target the gateways are compared with")
	portkey := flag.Float64("portkey", 711, "Portkey's closed-loop throughput (req/s) from the harness README; 0 to leave out")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: gwratio [flags] RUNS.jsonl...")
		os.Exit(2)
	}
	var runs []run
	for _, path := range flag.Args() {
		rs, err := load(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gwratio:", err)
			os.Exit(2)
		}
		runs = append(runs, rs...)
	}
	if err := report(os.Stdout, runs, *baseline, *floor, *portkey); err != nil {
		fmt.Fprintln(os.Stderr, "gwratio:", err)
		os.Exit(2)
	}
}

func load(path string) ([]run, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []run
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var r run
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		out = append(out, r)
	}
	return out, sc.Err()
}

type key struct {
	rate, rep int
	target    string
}

func report(w io.Writer, runs []run, baseline, floor string, portkey float64) error {
	byKey := map[key]run{}
	var rates []int
	var targets []string
	for _, r := range runs {
		byKey[key{r.Rate, r.Rep, r.Target}] = r
		if !slices.Contains(rates, r.Rate) {
			rates = append(rates, r.Rate)
		}
		if !slices.Contains(targets, r.Target) {
			targets = append(targets, r.Target)
		}
	}
	// Open-loop rates first, ascending, then closed loops.
	sort.Slice(rates, func(i, j int) bool {
		if (rates[i] > 0) != (rates[j] > 0) {
			return rates[i] > 0
		}
		return abs(rates[i]) < abs(rates[j])
	})
	fmt.Fprintf(w, "Ratios to %s, paired by repetition (median, and min–max over repetitions); added latency is over %s.\n", floor, baseline)
	for _, rate := range rates {
		name := fmt.Sprintf("%d requests/s", rate)
		if rate < 0 {
			name = fmt.Sprintf("closed loop, %d workers", -rate)
		}
		fmt.Fprintf(w, "\n### %s\n\n", name)
		fmt.Fprintln(w, "| target | Δp50 ms | Δp50 ratio | Δp99 ms | Δp99 ratio | CPU ms/req | CPU ratio | throughput req/s | throughput ratio | errors | RSS MB |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|")
		for _, t := range targets {
			if t == baseline {
				continue
			}
			var d50, d99, r50, r99, cpu, rcpu, tput, rtput, rss []float64
			errs, total := 0, uint64(0)
			for rep := 1; ; rep++ {
				r, ok := byKey[key{rate, rep, t}]
				if !ok {
					break
				}
				b, okb := byKey[key{rate, rep, baseline}]
				f, okf := byKey[key{rate, rep, floor}]
				errs += r.BadBody + int(float64(r.Requests)*(1-r.Success)+0.5)
				total += r.Requests
				c := 1000 * r.ProcCPU / float64(max(r.Requests, 1))
				cpu = append(cpu, c)
				tput = append(tput, r.Throughput)
				rss = append(rss, r.ProcRSSMB)
				if okb {
					d50 = append(d50, r.P50-b.P50)
					d99 = append(d99, r.P99-b.P99)
				}
				if okb && okf {
					if fd := f.P50 - b.P50; fd > 0 {
						r50 = append(r50, (r.P50-b.P50)/fd)
					}
					if fd := f.P99 - b.P99; fd > 0 {
						r99 = append(r99, (r.P99-b.P99)/fd)
					}
				}
				if okf {
					if fc := 1000 * f.ProcCPU / float64(max(f.Requests, 1)); fc > 0 {
						rcpu = append(rcpu, c/fc)
					}
					if f.Throughput > 0 {
						rtput = append(rtput, r.Throughput/f.Throughput)
					}
				}
			}
			tputCell := med(tput, "%.0f")
			if rate < 0 && portkey > 0 && len(tput) > 0 {
				tputCell += fmt.Sprintf(" (%.1f× Portkey)", median(tput)/portkey)
			}
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %d of %d | %s |\n", t,
				med(d50, "%+.2f"), med(r50, "%.2f×"), med(d99, "%+.2f"), med(r99, "%.2f×"),
				med(cpu, "%.3f"), med(rcpu, "%.2f×"), tputCell, med(rtput, "%.2f×"), errs, total, med(rss, "%.0f"))
		}
	}
	return nil
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// med formats the median with the range: "1.20 (1.10–1.30)".
func med(xs []float64, f string) string {
	switch len(xs) {
	case 0:
		return "-"
	case 1:
		return fmt.Sprintf(f, xs[0])
	}
	lo, hi := slices.Min(xs), slices.Max(xs)
	return fmt.Sprintf(f+" ("+f+"–"+f+")", median(xs), lo, hi)
}
