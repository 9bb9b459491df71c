// Package talosctlguard runs the real talosctl for the tests and the demo,
// after checking that every address it would dial is a loopback address:
// a real client follows the endpoints and nodes it is given, and nothing here
// may reach the seed's 192.168.x defaults or any other machine.
//
// One command is not handed over: upgrade-k8s needs a Kubernetes API, which
// the simulator does not have, so a double answers it (upgradek8s.go).
package talosctlguard

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"
)

// Invocation is what a talosctl command line says about where talosctl will connect.
type Invocation struct {
	// Command is the first word that is no flag, e.g. "upgrade" or "get".
	Command string
	// Nodes and Endpoints are the --nodes/-n and --endpoints/-e values, comma lists split.
	Nodes, Endpoints []string
	// Talosconfig is --talosconfig, and Context is --context.
	Talosconfig, Context string
	// Insecure is --insecure: talosctl dials the nodes without the talosconfig.
	Insecure bool
	// ClusterNodes are the nodes `talosctl health` checks and dials through
	// its endpoint (--control-plane-nodes, --worker-nodes, --init-node), and
	// K8sEndpoint the Kubernetes API it is told to use (--k8s-endpoint).
	ClusterNodes []string
	K8sEndpoint  string
	// Flags holds every other --name=value flag, by name, for the double.
	Flags map[string]string
}

// valueFlags are talosctl's global flags that take a value, by long and short name.
var valueFlags = map[string]string{
	"nodes": "nodes", "n": "nodes", "endpoints": "endpoints", "e": "endpoints", "talosconfig": "talosconfig", "context": "context", "cluster": "cluster",
	"control-plane-nodes": "cluster-nodes", "worker-nodes": "cluster-nodes", "init-node": "cluster-nodes", "k8s-endpoint": "k8s-endpoint",
}

// Parse reads a talosctl command line as talosctl's flag parser (pflag) does
// for the flags that decide where it connects: --name=value, --name value,
// -n value, -nvalue; "--" ends the flags.
func Parse(args []string) (Invocation, error) {
	inv := Invocation{Flags: map[string]string{}}

	for i := 0; i < len(args); i++ {
		arg := args[i]

		switch {
		case arg == "--":
			if inv.Command == "" && i+1 < len(args) {
				inv.Command = args[i+1]
			}

			i = len(args)

			continue
		case !strings.HasPrefix(arg, "-") || arg == "-":
			if inv.Command == "" {
				inv.Command = arg
			}

			continue
		}

		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if !strings.HasPrefix(arg, "--") && len(name) > 1 && !hasValue {
			// -n127.0.0.1: a short flag with its value attached.
			name, value, hasValue = name[:1], name[1:], true
		}

		long, takesValue := valueFlags[name]
		if !takesValue {
			if name == "insecure" {
				inv.Insecure = value == "" || value == "true"
			}

			inv.Flags[name] = value

			continue
		}

		if !hasValue {
			if i+1 >= len(args) {
				return inv, fmt.Errorf("flag %s needs a value", arg)
			}

			i++
			value = args[i]
		}

		switch long {
		case "nodes":
			inv.Nodes = append(inv.Nodes, splitList(value)...)
		case "endpoints":
			inv.Endpoints = append(inv.Endpoints, splitList(value)...)
		case "talosconfig":
			inv.Talosconfig = value
		case "context":
			inv.Context = value
		case "cluster":
			inv.Flags[long] = value
		case "cluster-nodes":
			inv.ClusterNodes = append(inv.ClusterNodes, splitList(value)...)
			inv.Flags[name] = value
		case "k8s-endpoint":
			inv.K8sEndpoint = value
		}
	}

	return inv, nil
}

// TalosconfigPath is the talosconfig talosctl reads: --talosconfig, else
// TALOSCONFIG, else ~/.talos/config; "" when none of them exists.
func (inv Invocation) TalosconfigPath() string {
	candidates := []string{inv.Talosconfig, os.Getenv("TALOSCONFIG")}
	if home, err := os.UserHomeDir(); err == nil {
		candidates = append(candidates, filepath.Join(home, ".talos", "config"))
	}

	for _, candidate := range candidates {
		if candidate == "" {
			continue
		}

		if _, err := os.Stat(candidate); err == nil {
			return candidate
		}
	}

	return ""
}

// Check refuses an invocation that would dial anything but a loopback
// address: the flags' nodes and endpoints, and those of the talosconfig's
// context that the flags do not override.
func (inv Invocation) Check() error {
	if err := loopbackOnly("--nodes", inv.Nodes); err != nil {
		return err
	}

	if err := loopbackOnly("--endpoints", inv.Endpoints); err != nil {
		return err
	}

	if err := loopbackOnly("--control-plane-nodes, --worker-nodes or --init-node", inv.ClusterNodes); err != nil {
		return err
	}

	if inv.K8sEndpoint != "" {
		host := inv.K8sEndpoint
		if parsed, err := url.Parse(inv.K8sEndpoint); err == nil && parsed.Host != "" {
			host = parsed.Host
		}

		if err := loopbackOnly("--k8s-endpoint", []string{host}); err != nil {
			return err
		}
	}

	if inv.Insecure {
		// talosctl dials the nodes themselves; the talosconfig is not read.
		return nil
	}

	path := inv.TalosconfigPath()
	if path == "" {
		// talosctl will fail for want of one, having dialled nothing.
		return nil
	}

	cfg, err := clientconfig.Open(path)
	if err != nil {
		return fmt.Errorf("talosconfig %s: %w", path, err)
	}

	name := inv.Context
	if name == "" {
		name = cfg.Context
	}

	context, ok := cfg.Contexts[name]
	if !ok {
		// talosctl will refuse the context, having dialled nothing.
		return nil
	}

	if len(inv.Endpoints) == 0 {
		if err := loopbackOnly(fmt.Sprintf("endpoints of context %q in %s", name, path), context.Endpoints); err != nil {
			return err
		}
	}

	if len(inv.Nodes) == 0 {
		if err := loopbackOnly(fmt.Sprintf("nodes of context %q in %s", name, path), context.Nodes); err != nil {
			return err
		}
	}

	return nil
}

// loopbackOnly refuses any address that is not an IP address in 127.0.0.0/8
// (or ::1), with or without a port; names are refused too: they resolve to
// who knows what.
func loopbackOnly(what string, addresses []string) error {
	for _, address := range addresses {
		host := address
		if h, _, err := net.SplitHostPort(address); err == nil {
			host = h
		}

		ip, err := netip.ParseAddr(host)
		if err != nil || !ip.IsLoopback() {
			return fmt.Errorf("refusing to run talosctl: %s names %q, which is not a loopback address; tests and the demo reach simulated nodes on 127.0.0.0/8 only", what, address)
		}
	}

	return nil
}

// splitList splits talosctl's comma-separated flag values, dropping empty entries.
func splitList(value string) []string {
	return strings.FieldsFunc(value, func(r rune) bool { return r == ',' })
}

// Result is what to do with a checked talosctl command line: print the
// double's answer, or run the real talosctl.
type Result struct {
	// Answered is set when the double answered (upgrade-k8s); Answer is what it prints.
	Answered bool
	Answer   string
	// Exec is the real talosctl's command line, its path first, to run in
	// place of this process when the double did not answer.
	Exec []string
}

// Guard checks a talosctl command line (args, after the path of the real
// talosctl) and either answers it with the double or says how to run the
// real talosctl.
func Guard(talosctl string, args []string) (Result, error) {
	inv, err := Parse(args)
	if err != nil {
		return Result{}, err
	}

	if err = inv.Check(); err != nil {
		return Result{}, err
	}

	if inv.Command == "upgrade-k8s" {
		answer, err := upgradeK8s(inv)
		if err != nil {
			return Result{}, err
		}

		return Result{Answered: true, Answer: answer}, nil
	}

	if talosctl == "" {
		return Result{}, errors.New("no talosctl to run: name the real talosctl first")
	}

	return Result{Exec: append([]string{talosctl}, args...)}, nil
}
