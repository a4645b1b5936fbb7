package spidergo_test

import (
	"strings"
	"testing"
	"time"

	"github.com/spidergo/spidergo"
)

func TestNewAPIKey(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		k, secret, err := spidergo.NewAPIKey("u1", "  CI  ", 1000)
		if err != nil {
			t.Fatal(err)
		}
		if !spidergo.WellFormedAPIKey(secret) || len(secret) != len("sk_live_")+43 {
			t.Fatalf("key %q is not sk_live_ + 43 base64url characters", secret)
		}
		if seen[secret] {
			t.Fatalf("key %q repeated", secret)
		}
		seen[secret] = true
		if k.Hash != spidergo.HashAPIKey(secret) || strings.Contains(k.Hash, secret[8:]) || k.Last4 != secret[len(secret)-4:] {
			t.Fatalf("stored form %+v does not match key %q", k, secret)
		}
		if k.Name != "CI" || k.UserID != "u1" || k.DailyLimit != 1000 || !k.IsActive || k.ID == "" {
			t.Fatalf("key = %+v", k)
		}
	}
	if _, _, err := spidergo.NewAPIKey("u1", "x", 0); spidergo.ErrorCode(err) != spidergo.EINVALID {
		t.Errorf("daily limit 0: got %v, want EINVALID", err)
	}
}

func TestCleanAPIKeyName(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"Production Integrations", "Production Integrations", true},
		{"  padded\t", "padded", true},
		{strings.Repeat("ü", 100), strings.Repeat("ü", 100), true},
		{strings.Repeat("ü", 101), "", false},
		{"", "", false},
		{" \n\t ", "", false},
		{"tab\tinside", "", false},
		{"bell\a", "", false},
		{"bad \xff utf-8", "", false},
	} {
		got, err := spidergo.CleanAPIKeyName(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("CleanAPIKeyName(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
		if err != nil && spidergo.ErrorCode(err) != spidergo.EINVALID {
			t.Errorf("CleanAPIKeyName(%q): code %s, want EINVALID", tt.in, spidergo.ErrorCode(err))
		}
	}
}

func TestWellFormedAPIKey(t *testing.T) {
	body := strings.Repeat("aZ0-_", 9)[:43]
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{"sk_live_" + body, true},
		{"sk_live_" + body + "more", true},
		{"sk_live_" + body[:42], false},
		{"sk_test_" + body, false},
		{"SK_LIVE_" + body, false},
		{body, false},
		{"sk_live_" + body[:40] + "+/=", false},
		{"sk_live_" + body[:40] + "é", false},
		{"sk_live_" + strings.Repeat("a", 257), false},
		{"", false},
	} {
		if got := spidergo.WellFormedAPIKey(tt.in); got != tt.want {
			t.Errorf("WellFormedAPIKey(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestQuotaDay(t *testing.T) {
	paris := time.FixedZone("CET", 3600)
	for _, tt := range []struct {
		t         time.Time
		day       string
		resetUnix int64
	}{
		{time.Date(2026, 3, 23, 0, 0, 0, 0, time.UTC), "2026-03-23", time.Date(2026, 3, 24, 0, 0, 0, 0, time.UTC).Unix()},
		{time.Date(2026, 3, 23, 23, 59, 59, 999e6, time.UTC), "2026-03-23", time.Date(2026, 3, 24, 0, 0, 0, 0, time.UTC).Unix()},
		// 00:30 in Paris is still the previous UTC day.
		{time.Date(2026, 3, 24, 0, 30, 0, 0, paris), "2026-03-23", time.Date(2026, 3, 24, 0, 0, 0, 0, time.UTC).Unix()},
		{time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC), "2026-12-31", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC).Unix()},
		{time.Date(2028, 2, 28, 12, 0, 0, 0, time.UTC), "2028-02-28", time.Date(2028, 2, 29, 0, 0, 0, 0, time.UTC).Unix()},
	} {
		if got := spidergo.QuotaDay(tt.t); got != tt.day {
			t.Errorf("QuotaDay(%v) = %s, want %s", tt.t, got, tt.day)
		}
		if got := spidergo.QuotaReset(tt.t); got.Unix() != tt.resetUnix || got.Location() != time.UTC {
			t.Errorf("QuotaReset(%v) = %v, want Unix %d in UTC", tt.t, got, tt.resetUnix)
		}
	}
}
