package main

import (
	"testing"
	"time"

	"github.com/garda-id/garda/internal/takedown"
)

func TestTakedownDeadlines(t *testing.T) {
	d, err := takedownDeadlines()
	if err != nil || d[takedown.Urgent] != 4*time.Hour || d[takedown.Normal] != 24*time.Hour {
		t.Fatalf("defaults: %v %v", d, err)
	}
	t.Setenv("GARDA_TAKEDOWN_URGENT_HOURS", "2")
	t.Setenv("GARDA_TAKEDOWN_NORMAL_HOURS", "12")
	if d, err = takedownDeadlines(); err != nil || d[takedown.Urgent] != 2*time.Hour || d[takedown.Normal] != 12*time.Hour {
		t.Fatalf("configured: %v %v", d, err)
	}
	t.Setenv("GARDA_TAKEDOWN_URGENT_HOURS", "0")
	if _, err = takedownDeadlines(); err == nil {
		t.Fatal("a zero deadline was taken")
	}
}
