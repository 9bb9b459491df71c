// Package talosctldouble answers the talosctl commands this project runs,
// as talosctl does: a test double for machines without talosctl.
package talosctldouble

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/cloudkoffer/provisioning-k8s-talos/tools/talos/internal/talosclient"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/client"
	clientconfig "github.com/siderolabs/talos/pkg/machinery/client/config"
)

// talosctl answers the talosctl commands this project runs, as talosctl does,
// against real or simulated nodes: a test double for machines without
// talosctl. It speaks the Talos API like talosctl (mTLS with the
// talosconfig), but connects to the node itself unless --endpoints names
// another (it does not proxy through an endpoint).
//
//	version --nodes=N
//	upgrade --image=I --nodes=N [--stage] [--wait=false]
//	reboot --nodes=N [--wait]
//	upgrade-k8s --to=V [--nodes=N]
//	get machinestatus --nodes=N --output=jsonpath={.spec.stage} --insecure
//
// Run answers one talosctl command line.
func Run(args []string) error {
	command, flags, err := parseTalosctlArgs(args)
	if err != nil {
		return err
	}

	switch command {
	case "version":
		return talosctlVersion(flags)
	case "upgrade":
		return talosctlUpgrade(flags)
	case "reboot":
		return talosctlReboot(flags)
	case "upgrade-k8s":
		return talosctlUpgradeK8s(flags)
	case "get machinestatus":
		return talosctlMachineStatus(flags)
	default:
		return fmt.Errorf("unknown command %q for the talosctl double", command)
	}
}

// talosctlFlags are the flags talosctl was given, by name.
type talosctlFlags map[string]string

var talosctlBooleans = map[string]bool{"stage": true, "wait": true, "insecure": true, "short": true, "preserve": true, "force": true}

func parseTalosctlArgs(args []string) (string, talosctlFlags, error) {
	flags := talosctlFlags{}

	var words []string

	for i := 0; i < len(args); i++ {
		arg := args[i]
		if !strings.HasPrefix(arg, "-") {
			words = append(words, arg)

			continue
		}

		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		if long, short := talosctlShortFlags[name]; short {
			name = long
		}

		if !hasValue {
			if talosctlBooleans[name] {
				value = "true"
			} else if i+1 < len(args) {
				i++
				value = args[i]
			} else {
				return "", nil, fmt.Errorf("flag --%s needs a value", name)
			}
		}

		flags[name] = value
	}

	return strings.Join(words, " "), flags, nil
}

var talosctlShortFlags = map[string]string{"n": "nodes", "e": "endpoints", "o": "output"}

// node is the one node a command acts on (--nodes), and the endpoint to dial.
func (f talosctlFlags) node() (string, string, error) {
	nodes := splitList(f["nodes"])
	if len(nodes) != 1 {
		return "", "", errors.New("the talosctl double acts on exactly one --nodes")
	}

	endpoint := nodes[0]
	if endpoints := splitList(f["endpoints"]); len(endpoints) > 0 {
		endpoint = endpoints[0]
	}

	return nodes[0], endpoint, nil
}

// connect dials a node with the talosconfig (--talosconfig or TALOSCONFIG), as talosctl does.
func (f talosctlFlags) connect(ctx context.Context) (*client.Client, string, error) {
	node, endpoint, err := f.node()
	if err != nil {
		return nil, "", err
	}

	path := f["talosconfig"]
	if path == "" {
		path = os.Getenv("TALOSCONFIG")
	}

	if path == "" {
		return nil, "", errors.New("no talosconfig: set TALOSCONFIG or --talosconfig")
	}

	cfg, err := clientconfig.Open(path)
	if err != nil {
		return nil, "", err
	}

	c, err := client.New(ctx, client.WithConfig(cfg), client.WithEndpoints(net.JoinHostPort(endpoint, "50000")))

	return c, node, err
}

// serverVersion asks a node its Talos version.
func (f talosctlFlags) serverVersion(timeout time.Duration) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	c, _, err := f.connect(ctx)
	if err != nil {
		return "", err
	}
	defer c.Close() //nolint:errcheck

	return talosclient.VersionTag(ctx, c)
}

func talosctlVersion(flags talosctlFlags) error {
	node, _, err := flags.node()
	if err != nil {
		return err
	}

	tag, err := flags.serverVersion(10 * time.Second)
	if err != nil {
		return fmt.Errorf("error getting version: %w", err)
	}

	fmt.Printf("Client:\n\tTag:         %s\nServer:\n\tNODE:        %s\n\tTag:         %s\n", "v1.7.4", node, tag)

	return nil
}

// waitForVersion polls the node, which reboots, until it answers with tag.
func (f talosctlFlags) waitForVersion(tag string) error {
	deadline := time.Now().Add(10 * time.Minute)
	if timeout, err := time.ParseDuration(f["timeout"]); err == nil {
		deadline = time.Now().Add(timeout)
	}

	for {
		if current, err := f.serverVersion(2 * time.Second); err == nil && (tag == "" || current == tag) {
			return nil
		}

		if time.Now().After(deadline) {
			return fmt.Errorf("timed out waiting for the node to come back with %s", tag)
		}

		time.Sleep(200 * time.Millisecond)
	}
}

func talosctlUpgrade(flags talosctlFlags) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	c, node, err := flags.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close() //nolint:errcheck

	stage := flags["stage"] == "true"

	if _, err = c.UpgradeWithOptions(ctx, client.WithUpgradeImage(flags["image"]), client.WithUpgradeStage(stage),
		client.WithUpgradePreserve(flags["preserve"] == "true"), client.WithUpgradeForce(flags["force"] == "true")); err != nil {
		return fmt.Errorf("error performing upgrade: %w", err)
	}

	fmt.Printf("upgrade request received on %s: %s\n", node, flags["image"])

	if stage || flags["wait"] == "false" {
		return nil
	}

	time.Sleep(100 * time.Millisecond)

	return flags.waitForVersion(flags["image"][strings.LastIndex(flags["image"], ":")+1:])
}

func talosctlReboot(flags talosctlFlags) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	c, node, err := flags.connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close() //nolint:errcheck

	if _, err = c.MachineClient.Reboot(ctx, &machine.RebootRequest{}); err != nil {
		return fmt.Errorf("error rebooting: %w", err)
	}

	fmt.Printf("reboot request received on %s\n", node)

	if flags["wait"] != "true" {
		return nil
	}

	time.Sleep(100 * time.Millisecond)

	return flags.waitForVersion("")
}

// talosctlUpgradeK8s stands in for the Kubernetes upgrade, which needs a
// Kubernetes API the simulator lacks: it checks the version argument and
// that the talosconfig reaches the control plane, and says what it would do.
func talosctlUpgradeK8s(flags talosctlFlags) error {
	to := strings.TrimPrefix(flags["to"], "v")
	if parts := strings.Split(to, "."); len(parts) != 3 {
		return fmt.Errorf("--to %q is not a Kubernetes version", flags["to"])
	}

	if flags["nodes"] == "" {
		return errors.New("upgrade-k8s: name the control plane with --nodes")
	}

	if _, err := flags.serverVersion(10 * time.Second); err != nil {
		return fmt.Errorf("error upgrading kubernetes: %w", err)
	}

	fmt.Printf("automatically detected the lowest Kubernetes version\nupgrading to %s\n", to)

	return nil
}

func talosctlMachineStatus(flags talosctlFlags) error {
	node, endpoint, err := flags.node()
	if err != nil {
		return err
	}

	if flags["insecure"] != "true" {
		return errors.New("the talosctl double answers get machinestatus with --insecure only")
	}

	if err := talosclient.AskMaintenance(net.JoinHostPort(endpoint, strconv.Itoa(50000)), 5*time.Second); err != nil {
		return fmt.Errorf("error getting machinestatus of %s: %w", node, err)
	}

	fmt.Print("maintenance")

	return nil
}

// splitList splits talosctl's comma-separated flag values, dropping empty entries.
func splitList(value string) []string {
	return strings.FieldsFunc(value, func(r rune) bool { return r == ',' })
}
