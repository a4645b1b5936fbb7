package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestHashVerify(t *testing.T) {
	ctx := context.Background()
	h := NewHasher(TestParams)
	enc, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("encoding %q is not PHC argon2id with the test parameters", enc)
	}
	again, _ := h.Hash(ctx, "correct horse battery staple")
	if again == enc {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	for _, tt := range []struct {
		password   string
		want       bool
		wantRehash bool
	}{
		{"correct horse battery staple", true, false},
		{"correct horse battery stapl", false, false},
		{"", false, false},
	} {
		ok, rehash, err := h.Verify(ctx, tt.password, enc)
		if err != nil || ok != tt.want || rehash != tt.wantRehash {
			t.Errorf("Verify(%q) = %v, %v, %v; want %v, %v", tt.password, ok, rehash, err, tt.want, tt.wantRehash)
		}
	}

	// A hash made with other parameters still verifies and asks to be
	// replaced.
	stronger := NewHasher(Params{Memory: 128, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32})
	ok, rehash, err := stronger.Verify(ctx, "correct horse battery staple", enc)
	if !ok || !rehash || err != nil {
		t.Errorf("Verify with new parameters = %v, %v, %v; want true, true, nil", ok, rehash, err)
	}
}

func TestVerifyRejectsMalformedHashes(t *testing.T) {
	h := NewHasher(TestParams)
	for _, enc := range []string{
		"",
		"plain",
		"$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=18$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA", // would allocate ~95 GiB
		"$argon2id$v=19$m=64,t=1000,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1,p=0$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1,p=1$!!$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0$c2hvcnQ",
	} {
		ok, _, err := h.Verify(context.Background(), "x", enc)
		if ok || !errors.Is(err, ErrBadHash) {
			t.Errorf("Verify(%q) = %v, %v; want false, ErrBadHash", enc, ok, err)
		}
	}
}

func TestHashHonoursContext(t *testing.T) {
	h := NewHasher(TestParams)
	for range cap(h.sem) {
		h.sem <- struct{}{} // every slot busy
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := h.Hash(ctx, "whatever-password"); !errors.Is(err, context.Canceled) {
		t.Errorf("Hash with all slots busy and a cancelled context = %v, want context.Canceled", err)
	}
}
