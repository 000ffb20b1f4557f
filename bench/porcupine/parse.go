package main

// The two Jepsen history formats, read into Porcupine operations under the same rules as
// dslab's own parsers (src/lincheck/jepsen-etcd.ts, jepsen-kv.ts), so both checkers get the
// same histories: :fail = did not happen (dropped), :info or no result = may or may not have
// happened (open until after the last line, any result allowed).

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
)

// event is one invoke or completion line; input is set on invokes, output on :ok.
type event struct {
	line    int
	process int
	kind    string // invoke, ok, fail or info
	f       string
	input   any
	output  any
}

type formatError struct {
	file string
	line int
	msg  string
}

func (e *formatError) Error() string {
	if e.line == 0 {
		return fmt.Sprintf("%s: %s", e.file, e.msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.file, e.line, e.msg)
}

// scanLines calls each with every line (numbered from 1) and returns the number of lines.
func scanLines(file string, each func(line int, text string) error) (int, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, &formatError{file, 0, err.Error()}
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	n := 0
	for sc.Scan() {
		n++
		if err := each(n, sc.Text()); err != nil {
			return n, err
		}
	}
	if err := sc.Err(); err != nil {
		return n, &formatError{file, n + 1, err.Error()}
	}
	return n, nil
}

// pair turns events into operations, Call and Return being line numbers: the file's line
// order is its real-time order and two lines never tie. Operations still open at the end
// (timed out or never answered) return after the last line with the `unknown` output.
func pair(file string, events []event, lines int, unknown any) ([]porcupineOp, error) {
	open := map[int]event{} // process -> its pending invoke
	var ops []porcupineOp
	for _, e := range events {
		inv, pending := open[e.process]
		if e.kind == "invoke" {
			if pending {
				return nil, &formatError{file, e.line, fmt.Sprintf("process %d invokes again before line %d returned", e.process, inv.line)}
			}
			open[e.process] = e
			continue
		}
		if !pending {
			return nil, &formatError{file, e.line, fmt.Sprintf("process %d completes nothing it invoked", e.process)}
		}
		if inv.f != e.f {
			return nil, &formatError{file, e.line, fmt.Sprintf(":%s completes the :%s of line %d", e.f, inv.f, inv.line)}
		}
		switch e.kind {
		case "ok":
			delete(open, e.process)
			ops = append(ops, porcupineOp{ClientId: e.process, Input: inv.input, Call: int64(inv.line), Output: e.output, Return: int64(e.line)})
		case "fail":
			delete(open, e.process)
		case "info":
			// Stays open: Jepsen gives the process a new number, this one never returns.
		}
	}
	still := make([]event, 0, len(open))
	for _, e := range open {
		still = append(still, e)
	}
	sort.Slice(still, func(i, j int) bool { return still[i].line < still[j].line })
	for _, e := range still {
		ops = append(ops, porcupineOp{ClientId: e.process, Input: e.input, Call: int64(e.line), Output: unknown, Return: int64(lines + 1)})
	}
	if len(ops) == 0 {
		return nil, &formatError{file, 0, "no operations"}
	}
	return ops, nil
}

// Jepsen etcd logs: `jepsen.util - P<TAB>:type<TAB>:f<TAB>VALUE`; other lines are log noise.
var etcdLine = regexp.MustCompile(`jepsen\.util - (\d+)\t:(invoke|ok|fail|info)\t:(read|write|cas)\t(.*)$`)
var casPair = regexp.MustCompile(`^\[(-?\d+) (-?\d+)\]$`)

func parseEtcd(file string) ([]porcupineOp, error) {
	var events []event
	lines, err := scanLines(file, func(line int, text string) error {
		m := etcdLine.FindStringSubmatch(text)
		if m == nil {
			return nil
		}
		bad := func(what string) error {
			return &formatError{file, line, fmt.Sprintf("%q is not %s", m[4], what)}
		}
		proc, _ := strconv.Atoi(m[1])
		e := event{line: line, process: proc, kind: m[2], f: m[3]}
		switch {
		case e.kind == "invoke" && e.f == "read":
			e.input = etcdInput{op: opRead}
		case e.kind == "invoke" && e.f == "write":
			v, err := strconv.Atoi(m[4])
			if err != nil {
				return bad("an integer")
			}
			e.input = etcdInput{op: opWrite, arg1: v}
		case e.kind == "invoke": // cas
			p := casPair.FindStringSubmatch(m[4])
			if p == nil {
				return bad("[old new]")
			}
			from, _ := strconv.Atoi(p[1])
			to, _ := strconv.Atoi(p[2])
			e.input = etcdInput{op: opCas, arg1: from, arg2: to}
		case e.kind == "ok" && e.f == "read":
			if m[4] == "nil" {
				e.output = etcdOutput{}
			} else if v, err := strconv.Atoi(m[4]); err == nil {
				e.output = etcdOutput{exists: true, value: v}
			} else {
				return bad("nil or an integer")
			}
		case e.kind == "ok":
			e.output = etcdOutput{} // write and cas: only "it happened"
		}
		events = append(events, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return pair(file, events, lines, etcdOutput{unknown: true})
}

// Porcupine's kv EDN lines; every non-blank line must be one.
var kvLine = regexp.MustCompile(`^\{:process (\d+), :type :(invoke|ok|fail|info), :f :(get|put|append), :key "([^"\\]*)", :value (nil|"[^"\\]*")\}$`)

func parseKv(file string) ([]porcupineOp, error) {
	var events []event
	lines, err := scanLines(file, func(line int, text string) error {
		if text == "" {
			return nil
		}
		m := kvLine.FindStringSubmatch(text)
		if m == nil {
			return &formatError{file, line, "not a {:process P, :type T, :f F, :key \"K\", :value V} line"}
		}
		proc, _ := strconv.Atoi(m[1])
		value := ""
		if m[5] != "nil" {
			value = m[5][1 : len(m[5])-1]
		}
		e := event{line: line, process: proc, kind: m[2], f: m[3]}
		switch e.kind {
		case "invoke":
			e.input = kvInput{op: map[string]byte{"get": opGet, "put": opPut, "append": opAppend}[e.f], key: m[4], value: value}
		case "ok":
			e.output = kvOutput{value: value} // only a get's is looked at; nil reads as ""
		}
		events = append(events, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return pair(file, events, lines, kvOutput{unknown: true})
}
