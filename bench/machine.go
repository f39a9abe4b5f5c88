package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// Machine describes where the numbers were measured: they mean little
// without it.
type Machine struct {
	Cores       int    `json:"cores"`
	CPUModel    string `json:"cpu_model"`
	MemoryBytes int64  `json:"memory_bytes"`
	GoVersion   string `json:"go_version"`
	OS          string `json:"os"`
	Arch        string `json:"arch"`
	// LoadAvg is the 1/5/15-minute load when the run started: a shared
	// machine makes wall times longer.
	LoadAvg string `json:"load_avg"`
}

func describeMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH, CPUModel: "unknown", LoadAvg: "unknown"}
	if v, ok := procField("/proc/cpuinfo", "model name", ":"); ok {
		m.CPUModel = v
	}
	if v, ok := procField("/proc/meminfo", "MemTotal", ":"); ok {
		m.MemoryBytes = parseKB(v)
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	return m
}

// procField returns the value of the first "key<sep> value" line of a
// /proc file.
func procField(path, key, sep string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), sep)
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// parseKB reads "123456 kB" as bytes.
func parseKB(v string) int64 {
	n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, "kB")), 10, 64)
	if err != nil {
		return 0
	}
	return n << 10
}

// peakRSS is this process's high-water resident set (VmHWM).
func peakRSS() (int64, error) {
	v, ok := procField("/proc/self/status", "VmHWM", ":")
	if !ok {
		return 0, fmt.Errorf("VmHWM not in /proc/self/status")
	}
	return parseKB(v), nil
}

// currentRSS is this process's resident set now (VmRSS).
func currentRSS() (int64, error) {
	v, ok := procField("/proc/self/status", "VmRSS", ":")
	if !ok {
		return 0, fmt.Errorf("VmRSS not in /proc/self/status")
	}
	return parseKB(v), nil
}

// anonSampleEvery is how often sampleAnon reads /proc/self/status (about
// 20 µs a read: under 0.1% of a core).
const anonSampleEvery = 25 * time.Millisecond

// sampleAnon records the largest anonymous resident set (heap, stacks)
// and the largest file-backed one seen until the returned stop is called,
// reading them every interval. Linux keeps a high-water mark only for the
// whole resident set (VmHWM), which also counts the pages of the
// memory-mapped cache that were read: those belong to the page cache and
// are dropped under memory pressure.
func sampleAnon(every time.Duration) (stop func() (anon, file int64)) {
	var peakAnon, peakFile atomic.Int64
	sample := func() {
		anon, file := rssParts()
		if anon > peakAnon.Load() {
			peakAnon.Store(anon)
		}
		if file > peakFile.Load() {
			peakFile.Store(file)
		}
	}
	sample()
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return func() (int64, int64) {
		close(done)
		<-finished
		sample()
		return peakAnon.Load(), peakFile.Load()
	}
}

// rssParts splits the current resident set into anonymous memory (heap,
// stacks) and file-backed pages (the memory-mapped cache, the binary).
func rssParts() (anon, file int64) {
	if v, ok := procField("/proc/self/status", "RssAnon", ":"); ok {
		anon = parseKB(v)
	}
	if v, ok := procField("/proc/self/status", "RssFile", ":"); ok {
		file = parseKB(v)
	}
	return anon, file
}

// cpuTime is the user plus system CPU this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
