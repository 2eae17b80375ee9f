package event

import "testing"

func TestFieldNames(t *testing.T) {
	seen := map[string]bool{}
	for f := Field(0); f < numFields; f++ {
		name := f.ECS()
		if name == "" || seen[name] {
			t.Fatalf("field %d has name %q (duplicate or missing)", f, name)
		}
		seen[name] = true
		if back, ok := ByECS(name); !ok || back != f {
			t.Fatalf("ByECS(%q) = %d, %v", name, back, ok)
		}
	}
	if _, ok := ByECS("nope"); ok {
		t.Fatal("unknown name found")
	}
	var e Event
	e.Set(URLPath, "/login")
	if e.Get(URLPath) != "/login" || e.Map()["url.path"] != "/login" || len(e.Map()) != 1 {
		t.Fatalf("get/set/map: %v", e.Map())
	}
}
