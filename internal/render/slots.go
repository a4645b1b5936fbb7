package render

import (
	"context"
	"slices"
	"sync"
)

// slots hands out a fixed number of tabs round-robin across groups: when
// tabs are short, each waiting group gets the next free one in turn.
type slots struct {
	mu      sync.Mutex
	free    int
	order   []string // groups with waiters, in turn order
	waiters map[string][]chan struct{}
}

func newSlots(n int) *slots {
	return &slots{free: n, waiters: map[string][]chan struct{}{}}
}

func (s *slots) acquire(ctx context.Context, group string) error {
	s.mu.Lock()
	if s.free > 0 && len(s.order) == 0 {
		s.free--
		s.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	if len(s.waiters[group]) == 0 {
		s.order = append(s.order, group)
	}
	s.waiters[group] = append(s.waiters[group], ch)
	s.mu.Unlock()

	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		defer s.mu.Unlock()
		select {
		case <-ch: // granted just as we gave up: pass it on
			s.releaseLocked()
		default:
			s.dropWaiter(group, ch)
		}
		return ctx.Err()
	}
}

func (s *slots) release() {
	s.mu.Lock()
	s.releaseLocked()
	s.mu.Unlock()
}

func (s *slots) releaseLocked() {
	if len(s.order) == 0 {
		s.free++
		return
	}
	g := s.order[0]
	q := s.waiters[g]
	ch := q[0]
	if len(q) == 1 {
		delete(s.waiters, g)
		s.order = s.order[1:]
	} else {
		s.waiters[g] = q[1:]
		// The group goes to the back of the line.
		s.order = append(s.order[1:], g)
	}
	close(ch)
}

func (s *slots) dropWaiter(group string, ch chan struct{}) {
	q := s.waiters[group]
	i := slices.Index(q, ch)
	if i < 0 {
		return
	}
	q = slices.Delete(q, i, i+1)
	if len(q) == 0 {
		delete(s.waiters, group)
		if j := slices.Index(s.order, group); j >= 0 {
			s.order = slices.Delete(s.order, j, j+1)
		}
		return
	}
	s.waiters[group] = q
}

// inUse reports the tabs handed out and the callers waiting.
func (s *slots) stats(total int) (busy, waiting int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, q := range s.waiters {
		waiting += len(q)
	}
	return total - s.free, waiting
}
