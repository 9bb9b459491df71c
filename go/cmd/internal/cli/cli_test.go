package cli

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// run runs a program with args, and returns its exit status, stdout and stderr.
func run(program Program, args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer

	status := program.Main(args, IO{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr})

	return status, stdout.String(), stderr.String()
}

func testProgram(got *[]string) Program {
	return Program{
		Name:  "tool",
		Usage: "usage: tool <command>\n",
		Commands: []Command{
			{Name: "echo", Run: func(args []string, stdio IO) error {
				*got = args
				stdio.Stdout.Write([]byte(strings.Join(args, " ") + "\n")) //nolint:errcheck

				return nil
			}},
			{Name: "fail", Run: func([]string, IO) error { return errors.New("it failed") }},
			{Name: "usage", Run: func([]string, IO) error { return ErrUsage }},
			{Name: "verdict", Run: func([]string, IO) error { return Status(1) }},
			{Name: "flags", Run: func(args []string, stdio IO) error {
				flags := Flags("flags", stdio.Stderr)
				flags.String("name", "", "a name")

				return ExitOnError(flags.Parse(args))
			}},
		},
	}
}

func TestMainRunsTheNamedCommandWithTheRestOfTheArguments(t *testing.T) {
	var got []string

	status, stdout, stderr := run(testProgram(&got), "echo", "a", "-b")
	if status != 0 || stdout != "a -b\n" || stderr != "" || strings.Join(got, " ") != "a -b" {
		t.Fatalf("echo: %d %q %q %v", status, stdout, stderr, got)
	}
}

func TestMainPrintsTheUsageWithStatus2(t *testing.T) {
	for _, args := range [][]string{nil, {"-h"}, {"-help"}, {"--help"}, {"help"}, {"usage"}} {
		if status, stdout, stderr := run(testProgram(new([]string)), args...); status != 2 || stdout != "" || stderr != "usage: tool <command>\n" {
			t.Errorf("%v: %d %q %q", args, status, stdout, stderr)
		}
	}

	status, _, stderr := run(testProgram(new([]string)), "nothing")
	if status != 2 || stderr != "tool: unknown command \"nothing\"\nusage: tool <command>\n" {
		t.Fatalf("unknown command: %d %q", status, stderr)
	}
}

func TestAnErrorIsPrintedWithTheProgramsNameAndStatus1(t *testing.T) {
	if status, _, stderr := run(testProgram(new([]string)), "fail"); status != 1 || stderr != "tool: it failed\n" {
		t.Fatalf("fail: %d %q", status, stderr)
	}

	if status, _, stderr := run(testProgram(new([]string)), "verdict"); status != 1 || stderr != "" {
		t.Fatalf("a Status says nothing: %d %q", status, stderr)
	}

	var stderr bytes.Buffer
	if status := (Program{Name: "single"}).Exit(errors.New("no"), &stderr); status != 1 || stderr.String() != "single: no\n" {
		t.Fatalf("Exit: %d %q", status, stderr.String())
	}
}

func TestExitOnErrorExitsAsFlagExitOnErrorDid(t *testing.T) {
	program := testProgram(new([]string))

	status, _, stderr := run(program, "flags", "-h")
	if status != 0 || !strings.HasPrefix(stderr, "Usage of flags:\n  -name string\n") {
		t.Fatalf("-h: %d %q", status, stderr)
	}

	status, _, stderr = run(program, "flags", "-bogus")
	if status != 2 || !strings.HasPrefix(stderr, "flag provided but not defined: -bogus\nUsage of flags:\n") || strings.Contains(stderr, "tool:") {
		t.Fatalf("a bad flag: %d %q", status, stderr)
	}

	if status, _, _ := run(program, "flags", "-name", "x"); status != 0 {
		t.Fatalf("good flags: %d", status)
	}
}

func TestPrintJSONWritesOneLine(t *testing.T) {
	var out bytes.Buffer

	if err := PrintJSON(&out, map[string]any{"b": "<&>", "a": []int{1}}); err != nil || out.String() != `{"a":[1],"b":"\u003c\u0026\u003e"}`+"\n" {
		t.Fatalf("PrintJSON: %q, %v", out.String(), err)
	}

	if err := PrintJSON(&out, func() {}); err == nil {
		t.Fatal("PrintJSON printed a function")
	}
}
