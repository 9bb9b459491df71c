// Package cli is what the project's commands share: a table of subcommands,
// their usage, flag sets that leave exiting to the command, and how an error
// becomes a message on stderr and an exit status. Only cmd/ uses it: the
// internal packages return errors and results, the commands print them and
// exit.
package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// IO is where a command reads and writes.
type IO struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// Std is the process's standard input, output and error.
func Std() IO {
	return IO{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
}

// Command is one subcommand of a Program.
type Command struct {
	Name string
	// Run runs the subcommand with the arguments after its name.
	Run func(args []string, stdio IO) error
}

// Program is a command-line tool: its name, its usage and its subcommands.
type Program struct {
	// Name prefixes every error message, e.g. "talos-sim: ...".
	Name string
	// Usage is printed to stderr, as it is, for ErrUsage.
	Usage    string
	Commands []Command
}

// ErrUsage asks for the program's usage on stderr and exit status 2.
var ErrUsage = errors.New("usage")

// Status asks for an exit status without a message: whatever there was to
// say has been said (the flag package's own complaint, a verdict on stdout).
type Status int

func (s Status) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

// Main runs the subcommand args[0] names with the rest of args, and returns
// the exit status: no subcommand, or help, prints the usage (status 2), as
// does an unknown one, after naming it.
func (p Program) Main(args []string, stdio IO) int {
	if len(args) == 0 {
		return p.Exit(ErrUsage, stdio.Stderr)
	}

	for _, command := range p.Commands {
		if command.Name == args[0] {
			return p.Exit(command.Run(args[1:], stdio), stdio.Stderr)
		}
	}

	switch args[0] {
	case "-h", "-help", "--help", "help":
	default:
		fmt.Fprintf(stdio.Stderr, "%s: unknown command %q\n", p.Name, args[0])
	}

	return p.Exit(ErrUsage, stdio.Stderr)
}

// Exit is the exit status for what a command returned: 0 for nil, 2 with the
// usage for ErrUsage, the status itself for a Status, else 1 after printing
// "<name>: <error>" to stderr.
func (p Program) Exit(err error, stderr io.Writer) int {
	var status Status

	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrUsage):
		fmt.Fprint(stderr, p.Usage)

		return 2
	case errors.As(err, &status):
		return int(status)
	default:
		fmt.Fprintf(stderr, "%s: %v\n", p.Name, err)

		return 1
	}
}

// Flags is a subcommand's flag set: it reports a bad flag, and the usage, on
// stderr ("Usage of <name>:"), and returns the error (flag.ContinueOnError).
func Flags(name string, stderr io.Writer) *flag.FlagSet {
	flags := flag.NewFlagSet(name, flag.ContinueOnError)
	flags.SetOutput(stderr)

	return flags
}

// ExitOnError is what flag.ExitOnError made of an error of Parse, as a
// Status: 0 after -h or -help, 2 after a bad flag; the flag set has printed
// the problem and the usage. nil stays nil.
func ExitOnError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		return Status(0)
	default:
		return Status(2)
	}
}

// PrintJSON writes value to w as one line of JSON.
func PrintJSON(w io.Writer, value any) error {
	line, err := json.Marshal(value)
	if err != nil {
		return err
	}

	_, err = w.Write(append(line, '\n'))

	return err
}

// WaitForStop returns when the process receives SIGINT or SIGTERM; later ones
// are swallowed while the caller shuts down.
func WaitForStop() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
}
