package apikey

import (
	"fmt"
	"testing"
	"time"
)

func TestTrialCounter(t *testing.T) {
	day := time.Date(2026, 3, 23, 23, 59, 0, 0, time.UTC)
	c := NewTrialCounter(2)
	for i, want := range []bool{true, true, false} {
		if got := c.Take("a", day); got != want {
			t.Errorf("take %d = %v, want %v", i, got, want)
		}
	}
	c.Give("a", day)
	if !c.Take("a", day) {
		t.Error("a refunded request was not available again")
	}
	if !c.Take("a", day.Add(2*time.Minute)) {
		t.Error("the count did not reset at UTC midnight")
	}
	for i := len(c.used); i < maxTrialAddrs; i++ {
		c.used[fmt.Sprint("addr", i)] = 1
	}
	if c.Take("newcomer", day.Add(2*time.Minute)) {
		t.Error("a new address was admitted past the memory bound")
	}
	if !c.Take("a", day.Add(2*time.Minute)) {
		t.Error("a known address was refused by the memory bound")
	}
}
