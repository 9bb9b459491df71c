package simulator

import (
	"context"
	"testing"
	"time"

	"github.com/cosi-project/runtime/pkg/safe"
	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"github.com/siderolabs/talos/pkg/machinery/resources/runtime"
)

func TestABootPublishesItsStageAndTailsEventsAsMachinedDoes(t *testing.T) {
	boot, err := newBootSession(runtime.MachineStageMaintenance)
	if err != nil {
		t.Fatal(err)
	}

	status, err := safe.StateGetByID[*runtime.MachineStatus](context.Background(), boot.resources, runtime.MachineStatusID)
	if err != nil {
		t.Fatalf("MachineStatus of a booted node: %v", err)
	}

	if status.TypedSpec().Stage != runtime.MachineStageMaintenance || !status.TypedSpec().Status.Ready {
		t.Fatalf("MachineStatus: %v, want maintenance and ready", status.TypedSpec())
	}

	if past, _, unsubscribe := boot.subscribe(0); len(past) != 0 {
		t.Fatalf("tail 0: %d past events, want none", len(past))
	} else {
		unsubscribe()
	}

	past, events, unsubscribe := boot.subscribe(-1)
	defer unsubscribe()

	if len(past) != 1 || past[0].GetData().GetTypeUrl() != "talos/runtime/machine.MachineStatusEvent" {
		t.Fatalf("tail -1: %v, want the boot's MachineStatusEvent", past)
	}

	boot.publish("actor", &machine.SequenceEvent{Sequence: "reboot", Action: machine.SequenceEvent_START})

	if event := <-events; event.GetActorId() != "actor" || event.GetId() != "2" {
		t.Fatalf("published event: %v, want actor and id 2", event)
	}

	boot.end()
	<-boot.ctx.Done() // a stream of this boot ends now
}

func TestAStagedUpgradeRunsOnlyAtTheNextBootWithANewBootID(t *testing.T) {
	controlPlane, _ := configs(t)
	sim := &Simulator{nodes: map[string]*Node{}, settings: Settings{RebootDelay: time.Millisecond, TalosVersion: "v1.7.4"}}
	n := newNode(sim, "127.0.0.1")
	n.config = controlPlane

	if err := n.boot(); err != nil {
		t.Fatal(err)
	}
	defer n.stop()

	firstBoot := n.session.id

	if _, err := (&machineService{node: n}).Upgrade(context.Background(), &machine.UpgradeRequest{
		Image: "ghcr.io/siderolabs/installer:v1.7.5",
		Stage: true,
	}); err != nil {
		t.Fatal(err)
	}

	n.mu.Lock()
	before := n.talosVersion
	n.mu.Unlock()

	if before != "v1.7.4" {
		t.Fatalf("right after a staged upgrade: %s, want v1.7.4 until the reboot", before)
	}

	deadline := time.Now().Add(10 * time.Second)

	for n.status().Boots < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the node did not boot again after the staged upgrade")
		}

		time.Sleep(5 * time.Millisecond)
	}

	n.mu.Lock()
	defer n.mu.Unlock()

	if n.talosVersion != "v1.7.5" || n.stagedVersion != "" {
		t.Fatalf("after the reboot: %s (staged %q), want v1.7.5, nothing staged", n.talosVersion, n.stagedVersion)
	}

	if n.session.id == firstBoot {
		t.Fatalf("boot ID %s did not change at the reboot", firstBoot)
	}
}
