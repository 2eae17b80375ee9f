package takedown

import (
	"context"
	"errors"
	"fmt"

	"github.com/garda-id/garda/internal/audit"
	"github.com/garda-id/garda/internal/org"
	"github.com/garda-id/garda/internal/store"
)

// demoPlatforms are the platforms of the demo world. The channels are the
// platforms' public government-request routes as far as they are known;
// the e-mail addresses are examples (example.id), not real ones.
var demoPlatforms = []struct {
	NewPlatform
	orgName string
}{
	{NewPlatform{Slug: "meta-facebook", Name: "Facebook", Kind: "social", Email: "takedown@facebook.example.id",
		WebFormURL: "https://www.facebook.com/help/contact/", Domains: []Domain{{Domain: "facebook.com"}, {Domain: "fb.com"}, {Domain: "fb.watch"}, {Domain: "m.me"}},
		Contacts: []Contact{{Name: "Tim Kebijakan Publik Meta Indonesia", Role: "liaison", Email: "id-policy@facebook.example.id"}}}, "Meta (Facebook)"},
	{NewPlatform{Slug: "meta-instagram", Name: "Instagram", Kind: "social", Email: "takedown@instagram.example.id",
		Domains:  []Domain{{Domain: "instagram.com"}, {Domain: "instagr.am"}},
		Contacts: []Contact{{Name: "Tim Kebijakan Publik Meta Indonesia", Role: "liaison", Email: "id-policy@facebook.example.id"}}}, "Meta (Instagram)"},
	{NewPlatform{Slug: "meta-whatsapp", Name: "WhatsApp", Kind: "messaging", Email: "takedown@whatsapp.example.id",
		Domains: []Domain{{Domain: "whatsapp.com"}, {Domain: "wa.me"}, {Domain: "chat.whatsapp.com"}}}, "Meta (WhatsApp)"},
	{NewPlatform{Slug: "x", Name: "X (Twitter)", Kind: "social", Email: "takedown@x.example.id", WebFormURL: "https://help.x.com/forms/legal",
		Domains: []Domain{{Domain: "x.com"}, {Domain: "twitter.com"}, {Domain: "t.co"}}}, "X Corp."},
	{NewPlatform{Slug: "tiktok", Name: "TikTok", Kind: "video", Email: "takedown@tiktok.example.id", APIURL: "https://api.tiktok.example.id/gov/requests",
		Domains: []Domain{{Domain: "tiktok.com"}, {Domain: "vt.tiktok.com"}}}, "TikTok Indonesia"},
	{NewPlatform{Slug: "youtube", Name: "YouTube", Kind: "video", Email: "takedown@youtube.example.id", WebFormURL: "https://support.google.com/legal/",
		Domains: []Domain{{Domain: "youtube.com"}, {Domain: "youtu.be"}}}, "Google (YouTube)"},
	{NewPlatform{Slug: "telegram", Name: "Telegram", Kind: "messaging", Email: "takedown@telegram.example.id",
		Domains: []Domain{{Domain: "t.me"}, {Domain: "telegram.me"}, {Domain: "telegram.org"}}}, "Telegram"},
	{NewPlatform{Slug: "hosting-nusantara", Name: "Nusantara Hosting", Kind: "hosting", Email: "abuse@nusantarahosting.example.id",
		Domains:  []Domain{{Domain: "nusantarahosting.example.id"}, {Domain: "situs.example.id"}},
		Contacts: []Contact{{Name: "Tim Abuse", Role: "abuse desk", Email: "abuse@nusantarahosting.example.id", Phone: "+62 21 5000 0000"}}}, "PT Nusantara Hosting (contoh)"},
}

// OrgSlug names a platform's organisation in Garda.
func OrgSlug(platform string) string { return "platform-" + platform }

// SeedPlatforms registers the demo world's platforms, each with its own
// organisation (its liaisons' accounts live there). It is repeatable: what
// exists is kept. It returns how many platforms it added.
func SeedPlatforms(ctx context.Context, db *store.DB) (int, error) {
	reg, err := LoadRegistry(ctx, db)
	if err != nil {
		return 0, err
	}
	added := 0
	for _, d := range demoPlatforms {
		if _, ok := reg.BySlug(d.Slug); ok {
			continue
		}
		n := d.NewPlatform
		n.Org = OrgSlug(d.Slug)
		var id int64
		err := db.QueryRow(ctx, `SELECT id FROM orgs WHERE slug = ?`, n.Org).Scan(&id)
		if errors.Is(err, store.ErrNotFound) {
			_, err = org.Create(ctx, db, audit.System, "", org.New{Slug: n.Org, Name: d.orgName, Kind: org.KindOther})
		}
		if err != nil {
			return added, fmt.Errorf("demo platform %s: %w", d.Slug, err)
		}
		if _, err := createPlatform(ctx, db, audit.System, n); err != nil {
			return added, fmt.Errorf("demo platform %s: %w", d.Slug, err)
		}
		added++
	}
	return added, nil
}

// SeedPlatform registers one platform as the system (the demo world and
// tests; people go through CreatePlatform).
func SeedPlatform(ctx context.Context, db *store.DB, n NewPlatform) (Platform, error) {
	return createPlatform(ctx, db, audit.System, n)
}
