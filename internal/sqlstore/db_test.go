package sqlstore_test

import (
	"context"
	"strings"
	"testing"

	"github.com/spidergo/spidergo"
	"github.com/spidergo/spidergo/internal/sqlstore"
	"github.com/spidergo/spidergo/internal/storetest"
)

func TestConformance(t *testing.T) {
	for name, open := range storetest.Each() {
		t.Run(name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) spidergo.Store { return open(t) })
		})
	}
}

func TestOpenRejectsUnknownURL(t *testing.T) {
	for _, u := range []string{"", "mysql://x", "sqlite:", "postgres-ish://a:secret@h/db"} {
		_, err := sqlstore.Open(context.Background(), u)
		if err == nil {
			t.Errorf("Open(%q) succeeded", u)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("Open(%q) leaked the password: %v", u, err)
		}
	}
}
