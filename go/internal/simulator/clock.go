package simulator

import (
	"fmt"
	"time"
)

// now is the nodes' time: real time plus how far tests have moved the clock
// forward. What a node decides by the clock (certificate validity) uses it,
// so that a test can let a certificate expire without waiting.
func (s *Simulator) now() time.Time {
	return time.Now().Add(s.clockOffset())
}

func (s *Simulator) clockOffset() time.Duration {
	return time.Duration(s.offset.Load())
}

// advanceClock moves the nodes' clock forward. Never back: a node's clock that
// jumped back would accept certificates it has already seen expire.
func (s *Simulator) advanceClock(by time.Duration) error {
	if by < 0 {
		return fmt.Errorf("advance %s is negative: the nodes' clock only moves forward", by)
	}

	s.offset.Add(int64(by))

	return nil
}

// ClockStatus is what the control API reports of the nodes' clock.
type ClockStatus struct {
	Now    string `json:"now"`
	Offset string `json:"offset"`
}

func (s *Simulator) clockStatus() ClockStatus {
	offset := s.clockOffset()

	return ClockStatus{Now: time.Now().Add(offset).UTC().Format(time.RFC3339Nano), Offset: offset.String()}
}
