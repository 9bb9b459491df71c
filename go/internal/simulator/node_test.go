package simulator

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestHoldStopsCallsUntilReleased(t *testing.T) {
	n := newNode(&Simulator{}, "127.0.0.1")
	if err := n.hold("Bootstrap", HoldAfter); err != nil {
		t.Fatal(err)
	}

	gone := make(chan bool)

	go func() { gone <- n.stopAt(context.Background(), "Bootstrap", HoldAfter) }()

	if err := n.waitHeld("Bootstrap", HoldAfter, 5*time.Second); err != nil {
		t.Fatal(err)
	}

	select {
	case <-gone:
		t.Fatal("the call went on before it was released")
	case <-time.After(50 * time.Millisecond):
	}

	n.releaseHolds("Bootstrap")

	if <-gone {
		t.Fatal("the caller did not go away, yet stopAt says it did")
	}

	if status := n.status(); len(status.Holds) != 0 {
		t.Fatalf("released holds are still armed: %+v", status.Holds)
	}
}

func TestHoldBeforeReportsACallerThatWentAway(t *testing.T) {
	n := newNode(&Simulator{}, "127.0.0.1")
	if err := n.hold("ApplyConfiguration", HoldBefore); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	gone := make(chan bool)

	go func() { gone <- n.stopAt(ctx, "ApplyConfiguration", HoldBefore) }()

	if err := n.waitHeld("ApplyConfiguration", HoldBefore, 5*time.Second); err != nil {
		t.Fatal(err)
	}

	cancel()

	if !<-gone {
		t.Fatal("a caller that went away must not have its held call carried out")
	}
}

func TestHoldOnlyStopsItsMethodAndPoint(t *testing.T) {
	n := newNode(&Simulator{}, "127.0.0.1")
	if err := n.hold("Bootstrap", HoldBefore); err != nil {
		t.Fatal(err)
	}

	if n.stopAt(context.Background(), "Bootstrap", HoldAfter) || n.stopAt(context.Background(), "Version", HoldBefore) {
		t.Fatal("a call was stopped at a point no hold is armed at")
	}

	if err := n.waitHeld("Bootstrap", HoldBefore, 10*time.Millisecond); err == nil {
		t.Fatal("waitHeld returned although no call reached the hold")
	}

	if err := n.hold("Bootstrap", "during"); err == nil {
		t.Fatal(`hold accepted the point "during"`)
	}
}

func TestLoseReplyLosesOneReplyOnly(t *testing.T) {
	n := newNode(&Simulator{}, "127.0.0.1")
	n.setFaults(Faults{LoseReply: "Bootstrap"})

	if n.takeLostReply("Version") {
		t.Fatal("the reply of another method was lost")
	}

	if !n.takeLostReply("Bootstrap") {
		t.Fatal("the reply of Bootstrap was not lost")
	}

	if n.takeLostReply("Bootstrap") {
		t.Fatal("a second reply was lost: the fault is meant once")
	}
}

func TestARefusedCallKeepsTheLostReplyForTheNextCarriedOut(t *testing.T) {
	n := newNode(&Simulator{}, "127.0.0.1")
	n.setFaults(Faults{LoseReply: "Bootstrap"})
	refused := status.Error(codes.FailedPrecondition, "the node is in maintenance mode")

	if err := n.leave(context.Background(), "Bootstrap", time.Now(), refused); !errors.Is(err, refused) {
		t.Fatalf("a refused call got %v, not its own refusal", err)
	}

	if err := n.leave(context.Background(), "Bootstrap", time.Now(), nil); status.Code(err) != codes.Unavailable {
		t.Fatalf("the first carried-out call got %v, not its reply lost", err)
	}

	if err := n.leave(context.Background(), "Bootstrap", time.Now(), nil); err != nil {
		t.Fatalf("a second carried-out call got %v: the fault is meant once", err)
	}
}
