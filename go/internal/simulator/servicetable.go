package simulator

import (
	"fmt"
	"sync"
	"time"

	"github.com/siderolabs/talos/pkg/machinery/api/machine"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Service states as machined reports them (events.ServiceState of Talos).
const (
	ServicePreparing = "Preparing"
	ServiceRunning   = "Running"
	ServiceFinished  = "Finished"
	ServiceFailed    = "Failed"
)

// maxServiceEvents is how many events machined keeps per service.
const maxServiceEvents = 64

// serviceTable is what machined reports of its services during one boot
// (ServiceList): each service's state, its health and the events that led
// there, the last of which says the state. Talos' cluster checks read the
// last event's state and the health.
type serviceTable struct {
	now func() time.Time

	mu       sync.Mutex
	order    []string
	services map[string]*serviceRecord
}

type serviceRecord struct {
	state  string
	health *machine.ServiceHealth
	events []*machine.ServiceEvent
}

// newServiceTable is the services of a configured node as they run after its
// boot: apid, machined, kubelet everywhere; trustd and etcd (waiting for the
// cluster: Preparing) on a control plane. A kubelet given the fault
// kubeletDown has failed.
func newServiceTable(now func() time.Time, controlPlane, kubeletDown bool) *serviceTable {
	table := &serviceTable{now: now, services: map[string]*serviceRecord{}}

	table.started("apid", "Started task apid (PID 1523) for container apid")
	table.started("machined", "Service started as goroutine")

	if controlPlane {
		table.started("trustd", "Started task trustd (PID 1561) for container trustd")
		table.set("etcd", ServicePreparing, "Running pre state")
	}

	table.setKubelet(kubeletDown)

	return table
}

// started records a service that started and passed its health check.
func (t *serviceTable) started(id, message string) {
	t.set(id, ServicePreparing, "Running pre state")
	t.set(id, ServicePreparing, "Creating service runner")
	t.set(id, ServiceRunning, message)
	t.setHealth(id, true, "")
}

// setKubelet is the kubelet running and healthy, or failed (the fault kubeletDown).
func (t *serviceTable) setKubelet(down bool) {
	if down {
		const reason = "simulated fault kubeletDown: task \"kubelet\" failed: exit code 1"

		t.setHealth("kubelet", false, reason)
		t.set("kubelet", ServiceFailed, "Failed to run service: "+reason)

		return
	}

	if t.state("kubelet") != ServiceRunning {
		t.started("kubelet", "Started task kubelet (PID 2072) for container kubelet")
	}
}

func (t *serviceTable) record(id string) *serviceRecord {
	record, ok := t.services[id]
	if !ok {
		record = &serviceRecord{health: &machine.ServiceHealth{Unknown: true}}
		t.services[id] = record
		t.order = append(t.order, id)
	}

	return record
}

func (t *serviceTable) state(id string) string {
	t.mu.Lock()
	defer t.mu.Unlock()

	if record, ok := t.services[id]; ok {
		return record.state
	}

	return ""
}

func (t *serviceTable) appendEvent(record *serviceRecord, state, message string) {
	record.events = append(record.events, &machine.ServiceEvent{Msg: message, State: state, Ts: timestamppb.New(t.now())})
	if len(record.events) > maxServiceEvents {
		record.events = record.events[len(record.events)-maxServiceEvents:]
	}
}

// set moves a service to a state with an event saying why; the same state
// with the same message again adds nothing.
func (t *serviceTable) set(id, state, message string) {
	t.mu.Lock()
	defer t.mu.Unlock()

	record := t.record(id)
	if last := len(record.events) - 1; last >= 0 && record.events[last].State == state && record.events[last].Msg == message {
		return
	}

	record.state = state
	t.appendEvent(record, state, message)
}

// setHealth records a health check's verdict when it changes, as machined
// does: while the service runs, with an event in its state.
func (t *serviceTable) setHealth(id string, healthy bool, message string) {
	t.mu.Lock()
	defer t.mu.Unlock()

	record := t.record(id)
	if !record.health.Unknown && record.health.Healthy == healthy && record.health.LastMessage == message {
		return
	}

	record.health = &machine.ServiceHealth{Healthy: healthy, LastMessage: message, LastChange: timestamppb.New(t.now())}

	if record.state == ServiceRunning {
		if healthy {
			t.appendEvent(record, record.state, "Health check successful")
		} else {
			t.appendEvent(record, record.state, fmt.Sprintf("Health check failed: %s", message))
		}
	}
}

// setHealthUnknown forgets the health of a service that (re)starts.
func (t *serviceTable) setHealthUnknown(id string) {
	t.mu.Lock()
	defer t.mu.Unlock()

	t.record(id).health = &machine.ServiceHealth{Unknown: true, LastChange: timestamppb.New(t.now())}
}

// list is the services as ServiceList reports them (copies).
func (t *serviceTable) list() []*machine.ServiceInfo {
	t.mu.Lock()
	defer t.mu.Unlock()

	services := make([]*machine.ServiceInfo, 0, len(t.order))

	for _, id := range t.order {
		record := t.services[id]
		events := make([]*machine.ServiceEvent, 0, len(record.events))

		for _, event := range record.events {
			events = append(events, proto.Clone(event).(*machine.ServiceEvent)) //nolint:forcetypeassert
		}

		services = append(services, &machine.ServiceInfo{
			Id:     id,
			State:  record.state,
			Events: &machine.ServiceEvents{Events: events},
			Health: proto.Clone(record.health).(*machine.ServiceHealth), //nolint:forcetypeassert
		})
	}

	return services
}
