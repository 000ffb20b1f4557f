// Command porcupine times Porcupine (github.com/anishathalye/porcupine v1.3.1) on the real
// Jepsen histories in fixtures/linearizability, for bench/lincheck-vs-porcupine.ts to
// compare dslab's linearizability checker against.
//
//	porcupine [-repeat N] file...   name, verdict, best ms, median ms of at least N checks (and 200 ms), per file
//	porcupine -maxrss file          name, verdict, ms, peak RSS in KiB of this process
//
// The model follows the file: .log = Jepsen etcd register, .txt = key-value store by key.
// Only porcupine.CheckOperations is timed (no timeout), not parsing.
package main

import (
	"flag"
	"fmt"
	"hash/maphash"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"syscall"
	"time"

	"github.com/anishathalye/porcupine"
)

type porcupineOp = porcupine.Operation

const (
	opRead byte = iota
	opWrite
	opCas
	opGet
	opPut
	opAppend
)

// etcd: one register, initially nil.
type etcdInput struct {
	op         byte
	arg1, arg2 int // write's value; cas's old and new
}

type etcdOutput struct {
	unknown bool // timed out or never answered: any result allowed
	exists  bool // a read's value, when not nil
	value   int
}

type register struct {
	set   bool // false = nil
	value int
}

var etcdModel = porcupine.Model{
	Init: func() any { return register{} },
	Step: func(state, input, output any) (bool, any) {
		st, in, out := state.(register), input.(etcdInput), output.(etcdOutput)
		switch in.op {
		case opRead:
			return out.unknown || (out.exists == st.set && out.value == st.value), st
		case opWrite:
			return true, register{true, in.arg1}
		default: // cas: one seen to succeed must find old (failed ones were dropped); an unknown one may have failed
			if st.set && st.value == in.arg1 {
				return true, register{true, in.arg2}
			}
			return out.unknown, st
		}
	},
	// A hash so that Porcupine's state cache compares few states, as dslab's model has one too.
	Hash: func(state any) uint64 {
		st := state.(register)
		if !st.set {
			return 1 << 63
		}
		return uint64(st.value)
	},
}

// kv: a string per key ("" when unset); checked key by key, as Porcupine's own kv test does.
type kvInput struct {
	op         byte
	key, value string
}

type kvOutput struct {
	unknown bool
	value   string // a get's result
}

var seed = maphash.MakeSeed()

var kvModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		for _, op := range history {
			k := op.Input.(kvInput).key
			byKey[k] = append(byKey[k], op)
		}
		keys := make([]string, 0, len(byKey))
		for k := range byKey {
			keys = append(keys, k)
		}
		sort.Strings(keys) // a fixed order, so repeated runs do the same work
		parts := make([][]porcupine.Operation, len(keys))
		for i, k := range keys {
			parts[i] = byKey[k]
		}
		return parts
	},
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		st, in, out := state.(string), input.(kvInput), output.(kvOutput)
		switch in.op {
		case opGet:
			return out.unknown || out.value == st, st
		case opPut:
			return true, in.value
		default: // append
			return true, st + in.value
		}
	},
	Hash: func(state any) uint64 { return maphash.String(seed, state.(string)) },
}

func load(file string) (porcupine.Model, []porcupine.Operation, error) {
	switch filepath.Ext(file) {
	case ".log":
		ops, err := parseEtcd(file)
		return etcdModel, ops, err
	case ".txt":
		ops, err := parseKv(file)
		return kvModel, ops, err
	}
	return porcupine.Model{}, nil, &formatError{file, 0, "neither .log (Jepsen etcd) nor .txt (kv)"}
}

// check runs one check and returns its verdict and wall time in ms.
func check(model porcupine.Model, ops []porcupine.Operation) (string, float64) {
	runtime.GC() // start clean: one run's garbage is not charged to the next
	start := time.Now()
	ok := porcupine.CheckOperations(model, ops)
	ms := float64(time.Since(start).Nanoseconds()) / 1e6
	if ok {
		return "linearizable", ms
	}
	return "not-linearizable", ms
}

func main() {
	runtime.GOMAXPROCS(1) // one core each: dslab's checker is single-threaded
	const minSpentMs, maxChecks = 200.0, 10000
	repeat := flag.Int("repeat", 5, "checks per file; best and median are printed")
	maxrss := flag.Bool("maxrss", false, "check one file once and print peak RSS (KiB)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: porcupine [-repeat N] file... | porcupine -maxrss file")
		flag.PrintDefaults()
	}
	flag.Parse()
	files := flag.Args()
	if len(files) == 0 || *repeat < 1 || (*maxrss && len(files) != 1) {
		flag.Usage()
		os.Exit(2)
	}
	for _, file := range files {
		model, ops, err := load(file)
		if err != nil {
			fmt.Fprintln(os.Stderr, "porcupine:", err)
			os.Exit(2)
		}
		name := filepath.Base(file)
		name = name[:len(name)-len(filepath.Ext(name))]
		if *maxrss {
			verdict, ms := check(model, ops)
			var ru syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &ru) // Maxrss is in KiB on Linux
			fmt.Printf("%s\t%s\t%.3f\t%d\n", name, verdict, ms, ru.Maxrss)
			continue
		}
		// At least -repeat checks, and more until 200 ms went by (at most 10,000): a small
		// file's best time then is not its first, cold run. The TypeScript side does the same.
		var verdict string
		var times []float64
		spent := 0.0
		for len(times) < *repeat || (spent < minSpentMs && len(times) < maxChecks) {
			v, ms := check(model, ops)
			verdict, times, spent = v, append(times, ms), spent+ms
		}
		sort.Float64s(times)
		// times[n/2], the upper median for even n, as the TypeScript side takes it.
		fmt.Printf("%s\t%s\t%.3f\t%.3f\n", name, verdict, times[0], times[len(times)/2])
	}
}
