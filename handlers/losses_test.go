package handlers_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/models"
)

// lossesOf is the path of a victim's losses.
func lossesOf(victimID string) string { return "/api/v1/victims/" + victimID + "/losses" }

// patchLoss changes a loss from the version it has now, failing unless the answer is want.
func patchLoss(t *testing.T, c *client, id string, body any, want int) api.Loss {
	t.Helper()
	_, res := get(t, c, "/api/v1/losses/"+id)
	r := c.do("PATCH", "/api/v1/losses/"+id, body, "If-Match", res.Header.Get("ETag"))
	if r.StatusCode != want {
		t.Fatalf("PATCH loss %v: %d; want %d: %s", body, r.StatusCode, want, r.Body)
	}
	var l api.Loss
	if want == http.StatusOK {
		r.JSON(t, &l)
	}
	return l
}

// TestMesaCountyLosses records the Mesa County losses over HTTP, moves them through verification, and checks
// the case's summary to the cent: the resident's fraudulent charges, credit monitoring and hours of
// remediation time; the county's investigation and replaced equipment; the bank's fraudulent charges,
// partly reimbursed by its insurer; the insurer's own claim. An excluded and a voided loss count nothing.
func TestMesaCountyLosses(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newClient(t, s).signedIn(models.RoleAdvocate)
		created, _ := createCase(t, c, peters)
		caseID := created.Id.String()
		victims := "/api/v1/cases/" + caseID + "/victims"
		jane := post(t, c, victims, resident())["id"].(string)
		county := post(t, c, victims, map[string]any{"kind": "government", "name": "Mesa County"})["id"].(string)
		bank := post(t, c, victims, map[string]any{"kind": "business", "name": "Alpine Bank"})["id"].(string)
		insurer := post(t, c, victims, map[string]any{"kind": "insurer", "name": "Western Surety Co."})["id"].(string)
		defendant := post(t, c, "/api/v1/cases/"+caseID+"/defendants", map[string]any{"name": "Tina Peters",
			"charges": []map[string]any{{"count_number": 1, "statute": "C.R.S. 18-5-902"}, {"count_number": 2, "statute": "C.R.S. 18-8-306"}}})["id"].(string)

		charges := post(t, c, lossesOf(jane), map[string]any{"category": "fraudulent_charges", "claimed_cents": 482137,
			"description": "Card opened in her name; charges at three stores.", "incurred_on": "2021-05-25",
			"defendant_id": defendant, "charge_count": 1})
		if charges["status"] != "claimed" || charges["reimbursed_cents"] != float64(0) || charges["verified_cents"] != nil ||
			charges["charge_count"] != float64(1) || charges["defendant_id"] != defendant || charges["case_id"] != caseID ||
			charges["voided_at"] != nil || charges["hours"] != nil || fmt.Sprint(charges["documents"]) != "[]" ||
			charges["created_by"] != c.user.ID {
			t.Fatalf("fraudulent charges: %v", charges)
		}
		post(t, c, lossesOf(jane), map[string]any{"category": "credit_monitoring", "claimed_cents": 19900})
		// 12.5 hours at $75.00 is $937.50; 1.5 hours at $49.99 is $74.985, half-up to $74.99.
		hours := post(t, c, lossesOf(jane), map[string]any{"category": "remediation_time", "hours": "12.5",
			"hourly_rate_cents": 7500, "claimed_cents": 93750, "description": "Calls to banks and credit bureaus."})
		if hours["hours"] != "12.50" || hours["hourly_rate_cents"] != float64(7500) {
			t.Fatalf("remediation time: %v", hours)
		}
		post(t, c, lossesOf(jane), map[string]any{"category": "remediation_time", "hours": "1.5", "hourly_rate_cents": 4999, "claimed_cents": 7499})

		investigation := post(t, c, lossesOf(county), map[string]any{"category": "investigation_and_response",
			"claimed_cents": 141234567, "description": "Forensic imaging, staff overtime, outside counsel."})["id"].(string)
		patchLoss(t, c, investigation, map[string]any{"verified_cents": 141234567, "status": "verified"}, http.StatusOK)
		equipment := post(t, c, lossesOf(county), map[string]any{"category": "property_or_equipment", "claimed_cents": 35000000})["id"].(string)
		patchLoss(t, c, equipment, map[string]any{"status": "disputed"}, http.StatusOK)
		eq := patchLoss(t, c, equipment, map[string]any{"verified_cents": 34876543, "status": "verified"}, http.StatusOK)
		if eq.Version != 3 || eq.Status != api.LossVerified {
			t.Fatalf("equipment after two moves: %+v", eq)
		}

		bankCharges := post(t, c, lossesOf(bank), map[string]any{"category": "fraudulent_charges", "claimed_cents": 2500000,
			"reimbursed_cents": 1500000, "reimbursed_by": "Western Surety Co."})["id"].(string)
		patchLoss(t, c, bankCharges, map[string]any{"verified_cents": 2450000}, http.StatusOK)
		fees := post(t, c, lossesOf(bank), map[string]any{"category": "legal_fees", "claimed_cents": 120000})["id"].(string)
		patchLoss(t, c, fees, map[string]any{"status": "excluded"}, http.StatusOK)
		mistake := post(t, c, lossesOf(bank), map[string]any{"category": "other", "claimed_cents": 5555})["id"].(string)
		if r := c.do("POST", "/api/v1/losses/"+mistake+"/void", map[string]any{"reason": "Entered twice."}); r.StatusCode != http.StatusOK {
			t.Fatalf("void: %d %s", r.StatusCode, r.Body)
		}
		post(t, c, lossesOf(insurer), map[string]any{"category": "fraudulent_charges", "claimed_cents": 1500000})

		var sum api.LossSummary
		res := c.do("GET", "/api/v1/cases/"+caseID+"/losses/summary", nil)
		res.JSON(t, &sum)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("summary: %d %s", res.StatusCode, res.Body)
		}
		totals := func(n, claimed, verified, reimbursed, net int64) api.LossTotals {
			return api.LossTotals{LossCount: n, ClaimedCents: claimed, VerifiedCents: verified, ReimbursedCents: reimbursed, NetRequestedCents: net}
		}
		if want := totals(8, 180837853, 178561110, 1500000, 179164396); sum.Totals != want {
			t.Errorf("case totals %+v; want %+v", sum.Totals, want)
		}
		wantCategories := []api.CategoryLossTotals{
			{Category: "fraudulent_charges", Totals: totals(3, 4482137, 2450000, 1500000, 2932137)},
			{Category: "credit_monitoring", Totals: totals(1, 19900, 0, 0, 19900)},
			{Category: "remediation_time", Totals: totals(2, 101249, 0, 0, 101249)},
			{Category: "property_or_equipment", Totals: totals(1, 35000000, 34876543, 0, 34876543)},
			{Category: "investigation_and_response", Totals: totals(1, 141234567, 141234567, 0, 141234567)},
		}
		if !slices.Equal(sum.ByCategory, wantCategories) {
			t.Errorf("by category %+v; want %+v", sum.ByCategory, wantCategories)
		}
		wantKinds := []api.VictimKindLossTotals{
			{VictimKind: "individual", Totals: totals(4, 603286, 0, 0, 603286)},
			{VictimKind: "business", Totals: totals(1, 2500000, 2450000, 1500000, 950000)},
			{VictimKind: "government", Totals: totals(2, 176234567, 176111110, 0, 176111110)},
			{VictimKind: "insurer", Totals: totals(1, 1500000, 0, 0, 1500000)},
		}
		if !slices.Equal(sum.ByVictimKind, wantKinds) {
			t.Errorf("by kind %+v; want %+v", sum.ByVictimKind, wantKinds)
		}
		byVictim := map[string]api.LossTotals{}
		var order []string
		for _, v := range sum.ByVictim {
			byVictim[v.VictimId.String()] = v.Totals
			order = append(order, v.VictimId.String())
		}
		if !slices.IsSorted(order) || len(order) != 4 || byVictim[jane] != wantKinds[0].Totals || byVictim[bank] != wantKinds[1].Totals ||
			byVictim[county] != wantKinds[2].Totals || byVictim[insurer] != wantKinds[3].Totals {
			t.Errorf("by victim %+v", sum.ByVictim)
		}

		// A prosecutor on the team reads the losses and the summary, for the restitution request.
		prosecutor := newClient(t, s).signedIn(models.RoleProsecutor)
		if r := c.do("PUT", "/api/v1/cases/"+caseID+"/team", map[string]any{"members": []map[string]string{
			{"user_id": c.user.ID}, {"user_id": prosecutor.user.ID}}}); r.StatusCode != http.StatusOK {
			t.Fatalf("team: %d", r.StatusCode)
		}
		var janes api.LossList
		prosecutor.do("GET", lossesOf(jane), nil).JSON(t, &janes)
		if len(janes.Items) != 4 || janes.Items[3].Description != "Card opened in her name; charges at three stores." {
			t.Fatalf("prosecutor's list of the resident's losses: %+v", janes.Items)
		}
		var again api.LossSummary
		prosecutor.do("GET", "/api/v1/cases/"+caseID+"/losses/summary", nil).JSON(t, &again)
		if again.Totals != sum.Totals {
			t.Errorf("prosecutor's summary %+v", again.Totals)
		}

		// Everything is on record with its case, and nothing personal is in the record.
		audit, err := s.ListAuditEvents(dbtest.System(), models.AuditFilter{CaseID: caseID, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		for _, e := range audit.Items {
			counts[e.Action]++
			raw, _ := json.Marshal(e)
			if strings.Contains(string(raw), "Card opened") || strings.Contains(string(raw), "Entered twice") {
				t.Errorf("audit event %s holds loss text", e.Action)
			}
		}
		for action, n := range map[string]int{"loss.create": 10, "loss.update": 5, "loss.void": 1, "loss.summary": 2, "loss.list": 1} {
			if counts[action] != n {
				t.Errorf("%d %s events; want %d (all: %v)", counts[action], action, n, counts)
			}
		}
	})
}

// TestLossStatusMachine tries every move between every two statuses: only claimed → verified, disputed or
// excluded, disputed → verified or excluded, and verified → ordered are allowed; the rest are 409.
func TestLossStatusMachine(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newAdminClient(t, s)
		created, _ := createCase(t, c, peters)
		victim := post(t, c, "/api/v1/cases/"+created.Id.String()+"/victims", map[string]any{"kind": "business", "name": "Alpine Bank"})["id"].(string)
		reach := map[string][]string{"claimed": nil, "verified": {"verified"}, "disputed": {"disputed"},
			"excluded": {"excluded"}, "ordered": {"verified", "ordered"}}
		allowed := map[string][]string{"claimed": {"verified", "disputed", "excluded"}, "disputed": {"verified", "excluded"},
			"verified": {"ordered"}}
		statuses := []string{"claimed", "verified", "disputed", "excluded", "ordered"}
		for _, from := range statuses {
			for _, to := range statuses {
				id := post(t, c, lossesOf(victim), map[string]any{"category": "fraudulent_charges", "claimed_cents": 1000, "verified_cents": 900})["id"].(string)
				for _, step := range reach[from] {
					patchLoss(t, c, id, map[string]any{"status": step}, http.StatusOK)
				}
				want := http.StatusConflict
				if from == to || slices.Contains(allowed[from], to) {
					want = http.StatusOK
				}
				_, res := get(t, c, "/api/v1/losses/"+id)
				r := c.do("PATCH", "/api/v1/losses/"+id, map[string]any{"status": to}, "If-Match", res.Header.Get("ETag"))
				if r.StatusCode != want {
					t.Errorf("%s → %s: %d; want %d: %s", from, to, r.StatusCode, want, r.Body)
					continue
				}
				if want == http.StatusConflict {
					if p := r.Problem(t); !strings.Contains(p.Detail, "cannot move from "+from+" to "+to) {
						t.Errorf("%s → %s: detail %q", from, to, p.Detail)
					}
					if l, _ := get(t, c, "/api/v1/losses/"+id); l["status"] != from {
						t.Errorf("%s → %s refused, but the status is now %v", from, to, l["status"])
					}
				}
			}
		}
		// Verifying needs a verified amount, and a verified loss keeps one.
		bare := post(t, c, lossesOf(victim), map[string]any{"category": "counseling", "claimed_cents": 25000})["id"].(string)
		r := c.do("PATCH", "/api/v1/losses/"+bare, map[string]any{"status": "verified"}, "If-Match", `"1"`)
		if r.StatusCode != http.StatusUnprocessableEntity || r.Problem(t).Errors["verified_cents"] == "" {
			t.Fatalf("verifying without verified_cents: %d %s", r.StatusCode, r.Body)
		}
		patchLoss(t, c, bare, map[string]any{"status": "verified", "verified_cents": 24000}, http.StatusOK)
		patchLoss(t, c, bare, map[string]any{"verified_cents": nil}, http.StatusUnprocessableEntity)
	})
}

// TestLossAmountRules refuses, field by field and storing nothing, amounts that are negative, too large or
// inconsistent, remediation time that does not add up, and links to defendants or counts of other cases.
func TestLossAmountRules(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newAdminClient(t, s)
		created, _ := createCase(t, c, peters)
		caseID := created.Id.String()
		victim := post(t, c, "/api/v1/cases/"+caseID+"/victims", resident())["id"].(string)
		defendant := post(t, c, "/api/v1/cases/"+caseID+"/defendants", map[string]any{"name": "Tina Peters",
			"charges": []map[string]any{{"count_number": 1, "statute": "C.R.S. 18-5-902"}}})["id"].(string)
		other, _ := createCase(t, c, map[string]any{"court_case_number": "23CR1", "caption": "People v. Other",
			"court": "Denver District Court", "jurisdiction": "us-co"})
		stranger := post(t, c, "/api/v1/cases/"+other.Id.String()+"/defendants", map[string]any{"name": "Someone Else"})["id"].(string)
		tomorrow := time.Now().UTC().AddDate(0, 0, 2).Format(time.DateOnly)

		for _, tc := range []struct {
			name  string
			body  map[string]any
			field string
		}{
			{"negative claim", map[string]any{"category": "other", "claimed_cents": -1}, "claimed_cents"},
			{"negative reimbursement", map[string]any{"category": "other", "claimed_cents": 100, "reimbursed_cents": -5}, "reimbursed_cents"},
			{"negative verified amount", map[string]any{"category": "other", "claimed_cents": 100, "verified_cents": -1}, "verified_cents"},
			{"claim over the cap", map[string]any{"category": "other", "claimed_cents": 10000000000001}, "claimed_cents"},
			{"fractional cents", map[string]any{"category": "other", "claimed_cents": 10.5}, "claimed_cents"},
			{"reimbursed more than claimed", map[string]any{"category": "other", "claimed_cents": 100, "reimbursed_cents": 101}, "reimbursed_cents"},
			{"reimbursed more than verified", map[string]any{"category": "other", "claimed_cents": 1000, "verified_cents": 500, "reimbursed_cents": 501}, "reimbursed_cents"},
			{"unknown category", map[string]any{"category": "pain_and_suffering", "claimed_cents": 100}, "category"},
			{"hours without a rate", map[string]any{"category": "remediation_time", "claimed_cents": 100, "hours": "2"}, "hourly_rate_cents"},
			{"rate without hours", map[string]any{"category": "remediation_time", "claimed_cents": 100, "hourly_rate_cents": 50}, "hours"},
			{"hours on another category", map[string]any{"category": "lost_wages", "claimed_cents": 100, "hours": "1", "hourly_rate_cents": 100}, "hours"},
			{"claim that is not hours × rate", map[string]any{"category": "remediation_time", "claimed_cents": 7498, "hours": "1.5", "hourly_rate_cents": 4999}, "claimed_cents"},
			{"hours × rate past any claim", map[string]any{"category": "remediation_time", "claimed_cents": 1, "hours": "100000", "hourly_rate_cents": 10000000000000}, "hourly_rate_cents"},
			{"hours with three decimals", map[string]any{"category": "remediation_time", "claimed_cents": 1, "hours": "1.255", "hourly_rate_cents": 100}, "hours"},
			{"hours as a number", map[string]any{"category": "remediation_time", "claimed_cents": 150, "hours": 1.5, "hourly_rate_cents": 100}, "hours"},
			{"defendant of another case", map[string]any{"category": "other", "claimed_cents": 100, "defendant_id": stranger}, "defendant_id"},
			{"count the defendant was not charged with", map[string]any{"category": "other", "claimed_cents": 100, "defendant_id": defendant, "charge_count": 7}, "charge_count"},
			{"count without a defendant", map[string]any{"category": "other", "claimed_cents": 100, "charge_count": 1}, "charge_count"},
			{"incurred in the future", map[string]any{"category": "other", "claimed_cents": 100, "incurred_on": tomorrow}, "incurred_on"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := c.as(t).do("POST", lossesOf(victim), tc.body)
				if res.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("status %d; want 422: %s", res.StatusCode, res.Body)
				}
				if p := res.Problem(t); p.Errors[tc.field] == "" {
					t.Errorf("errors lack %s: %v", tc.field, p.Errors)
				}
			})
		}
		var page api.LossList
		c.do("GET", lossesOf(victim), nil).JSON(t, &page)
		if len(page.Items) != 0 {
			t.Fatalf("%d losses stored from refused requests", len(page.Items))
		}

		// The largest amounts are fine, and a change must keep to the rules too.
		id := post(t, c, lossesOf(victim), map[string]any{"category": "fraudulent_charges", "claimed_cents": 10000000000000,
			"reimbursed_cents": 10000000000000, "defendant_id": defendant, "charge_count": 1})["id"].(string)
		patchLoss(t, c, id, map[string]any{"verified_cents": 9999}, http.StatusUnprocessableEntity)
		patchLoss(t, c, id, map[string]any{"claimed_cents": -1}, http.StatusUnprocessableEntity)
		patchLoss(t, c, id, map[string]any{"defendant_id": nil}, http.StatusUnprocessableEntity) // the count needs it
		l := patchLoss(t, c, id, map[string]any{"defendant_id": nil, "charge_count": nil, "reimbursed_cents": 0, "verified_cents": 9999}, http.StatusOK)
		if l.Version != 2 || !l.DefendantId.IsNull() || l.VerifiedCents.MustGet() != 9999 || l.ClaimedCents != 10000000000000 {
			t.Fatalf("after the change: %+v", l)
		}
		// Remediation time changed as a whole, with the claim to match.
		rt := post(t, c, lossesOf(victim), map[string]any{"category": "remediation_time", "claimed_cents": 93750, "hours": "12.5", "hourly_rate_cents": 7500})["id"].(string)
		patchLoss(t, c, rt, map[string]any{"hours": "13"}, http.StatusUnprocessableEntity)
		if l := patchLoss(t, c, rt, map[string]any{"hours": "13", "claimed_cents": 97500}, http.StatusOK); l.Hours.MustGet() != "13.00" {
			t.Fatalf("hours: %+v", l.Hours)
		}
		if l := patchLoss(t, c, rt, map[string]any{"hours": nil, "hourly_rate_cents": nil, "category": "other"}, http.StatusOK); !l.Hours.IsNull() {
			t.Fatalf("hours cleared: %+v", l.Hours)
		}
		// A change still needs If-Match, and an absent loss is 404 first.
		if r := c.do("PATCH", "/api/v1/losses/"+rt, map[string]any{"description": "x"}); r.StatusCode != http.StatusPreconditionRequired {
			t.Fatalf("PATCH without If-Match: %d", r.StatusCode)
		}
		if r := c.do("PATCH", "/api/v1/losses/01a211c6-f93c-78c4-8695-72deaf645c6f", map[string]any{"description": "x"}); r.StatusCode != http.StatusNotFound {
			t.Fatalf("PATCH of an absent loss: %d", r.StatusCode)
		}
	})
}

// TestConcurrentLossPatches sends two changes made from the same version at once: one wins, the other gets
// 412, and the winner's change is the one kept.
func TestConcurrentLossPatches(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newClient(t, s).signedIn(models.RoleAdvocate)
		created, _ := createCase(t, c, peters)
		victim := post(t, c, "/api/v1/cases/"+created.Id.String()+"/victims", resident())["id"].(string)
		id := post(t, c, lossesOf(victim), map[string]any{"category": "lost_wages", "claimed_cents": 64000})["id"].(string)
		for round := 1; round <= 3; round++ {
			var wg sync.WaitGroup
			statuses := make([]int, 2)
			bodies := make([][]byte, 2)
			start := make(chan struct{})
			for i := range 2 {
				wg.Go(func() {
					<-start
					r := c.do("PATCH", "/api/v1/losses/"+id, map[string]any{"claimed_cents": 64000 + round*10 + i,
						"description": fmt.Sprintf("round %d writer %d", round, i)}, "If-Match", fmt.Sprintf(`"%d"`, round))
					statuses[i], bodies[i] = r.StatusCode, r.Body
				})
			}
			close(start)
			wg.Wait()
			winner := slices.Index(statuses, http.StatusOK)
			slices.Sort(statuses)
			if statuses[0] != http.StatusOK || statuses[1] != http.StatusPreconditionFailed {
				t.Fatalf("round %d: statuses %v: %s / %s", round, statuses, bodies[0], bodies[1])
			}
			l, _ := get(t, c, "/api/v1/losses/"+id)
			if l["version"] != float64(round+1) || l["description"] != fmt.Sprintf("round %d writer %d", round, winner) ||
				l["claimed_cents"] != float64(64000+round*10+winner) {
				t.Fatalf("round %d kept %v; the winner was writer %d", round, l, winner)
			}
		}
	})
}

// TestVoidedLoss voids a loss: it is kept and readable, leaves the default list and every total, and cannot
// change; voiding it again answers the same.
func TestVoidedLoss(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newClient(t, s).signedIn(models.RoleAdvocate)
		created, _ := createCase(t, c, peters)
		caseID := created.Id.String()
		victim := post(t, c, "/api/v1/cases/"+caseID+"/victims", resident())["id"].(string)
		keep := post(t, c, lossesOf(victim), map[string]any{"category": "counseling", "claimed_cents": 30000})["id"].(string)
		id := post(t, c, lossesOf(victim), map[string]any{"category": "counseling", "claimed_cents": 45000})["id"].(string)
		void := "/api/v1/losses/" + id + "/void"

		for _, body := range []any{map[string]any{}, map[string]any{"reason": ""}, map[string]any{"reason": "   "}} {
			if r := c.do("POST", void, body); r.StatusCode != http.StatusUnprocessableEntity {
				t.Errorf("void with %v: %d; want 422", body, r.StatusCode)
			}
		}
		if r := c.do("POST", void, map[string]any{"reason": "Duplicate."}, "If-Match", `"7"`); r.StatusCode != http.StatusPreconditionFailed {
			t.Fatalf("void with a stale If-Match: %d", r.StatusCode)
		}
		r := c.do("POST", void, map[string]any{"reason": "Duplicate of the counseling invoice."}, "If-Match", `"1"`)
		var voided api.Loss
		r.JSON(t, &voided)
		if r.StatusCode != http.StatusOK || voided.VoidedAt.IsNull() || voided.VoidReason.MustGet() != "Duplicate of the counseling invoice." ||
			voided.VoidedBy.MustGet() != c.user.ID || voided.Version != 2 || r.Header.Get("ETag") != `"2"` {
			t.Fatalf("void: %d %s", r.StatusCode, r.Body)
		}
		again := c.do("POST", void, map[string]any{"reason": "Another reason."})
		var twice api.Loss
		again.JSON(t, &twice)
		if again.StatusCode != http.StatusOK || twice.VoidReason.MustGet() != "Duplicate of the counseling invoice." || twice.Version != 2 {
			t.Fatalf("voiding again: %d %s", again.StatusCode, again.Body)
		}
		if r := c.do("PATCH", "/api/v1/losses/"+id, map[string]any{"claimed_cents": 1}, "If-Match", `"2"`); r.StatusCode != http.StatusConflict {
			t.Fatalf("changing a void loss: %d %s", r.StatusCode, r.Body)
		}
		if r := c.do("POST", "/api/v1/losses/"+id+"/documents", filePart{"file", "invoice.txt", []byte("Invoice 42\n")}); r.StatusCode != http.StatusConflict {
			t.Fatalf("attaching to a void loss: %d %s", r.StatusCode, r.Body)
		}
		if l, _ := get(t, c, "/api/v1/losses/"+id); l["voided_at"] == nil || l["claimed_cents"] != float64(45000) {
			t.Fatalf("the void loss read back: %v", l)
		}

		ids := func(query string) []string {
			var page api.LossList
			c.do("GET", lossesOf(victim)+query, nil).JSON(t, &page)
			var out []string
			for _, l := range page.Items {
				out = append(out, l.Id.String())
			}
			return out
		}
		if got := ids(""); !slices.Equal(got, []string{keep}) {
			t.Errorf("default list %v; want only the live loss", got)
		}
		if got := ids("?include_voided=true"); !slices.Equal(got, []string{id, keep}) {
			t.Errorf("list with voided %v", got)
		}
		var sum api.LossSummary
		c.do("GET", "/api/v1/cases/"+caseID+"/losses/summary", nil).JSON(t, &sum)
		if sum.Totals.ClaimedCents != 30000 || sum.Totals.LossCount != 1 {
			t.Errorf("totals count the void loss: %+v", sum.Totals)
		}
	})
}

// TestLossAccess keeps losses within the case's team: off the team they do not exist (404, before any
// precondition), clerks may not see them at all (403), prosecutors read but do not write.
func TestLossAccess(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		it := newIntakeTeam(t, s)
		advocate := it.callers[models.RoleAdvocate]
		loss := post(t, advocate, lossesOf(it.adult), map[string]any{"category": "other", "claimed_cents": 100})["id"].(string)
		doc := advocate.do("POST", "/api/v1/losses/"+loss+"/documents", filePart{"file", "note.txt", []byte("A note.\n")})
		var d api.Document
		doc.JSON(t, &d)
		offTeam := newClient(t, s).signedIn(models.RoleAdvocate)
		reads := []string{lossesOf(it.adult), "/api/v1/losses/" + loss, "/api/v1/cases/" + it.caseID + "/losses/summary",
			"/api/v1/documents/" + d.Id.String(), "/api/v1/documents/" + d.Id.String() + "/content"}
		for _, path := range reads {
			for who, c := range map[string]*client{"an advocate off the team": offTeam, "a prosecutor off the team": it.outsideCounsel} {
				if r := c.do("GET", path, nil); r.StatusCode != http.StatusNotFound {
					t.Errorf("%s: GET %s: %d; want 404", who, path, r.StatusCode)
				}
			}
			if r := it.callers[models.RoleClerk].do("GET", path, nil); r.StatusCode != http.StatusForbidden {
				t.Errorf("clerk: GET %s: %d; want 403", path, r.StatusCode)
			}
			if r := it.callers[models.RoleProsecutor].do("GET", path, nil); r.StatusCode != http.StatusOK {
				t.Errorf("prosecutor on the team: GET %s: %d; want 200", path, r.StatusCode)
			}
		}
		for _, w := range []struct {
			method, path string
			body         any
		}{
			{"POST", lossesOf(it.adult), map[string]any{"category": "other", "claimed_cents": 1}},
			{"PATCH", "/api/v1/losses/" + loss, map[string]any{"claimed_cents": 1}},
			{"POST", "/api/v1/losses/" + loss + "/void", map[string]any{"reason": "x"}},
			{"POST", "/api/v1/losses/" + loss + "/documents", filePart{"file", "x.txt", []byte("x\n")}},
			{"POST", "/api/v1/documents/" + d.Id.String() + "/void", map[string]any{"reason": "x"}},
		} {
			// A stale If-Match does not tell an outsider that the loss exists.
			if r := offTeam.do(w.method, w.path, w.body, "If-Match", `"99"`); r.StatusCode != http.StatusNotFound {
				t.Errorf("off the team: %s %s: %d; want 404", w.method, w.path, r.StatusCode)
			}
			if r := it.callers[models.RoleProsecutor].do(w.method, w.path, w.body, "If-Match", `"1"`); r.StatusCode != http.StatusForbidden {
				t.Errorf("prosecutor: %s %s: %d; want 403", w.method, w.path, r.StatusCode)
			}
		}
		if l, _ := get(t, advocate, "/api/v1/losses/"+loss); l["version"] != float64(1) || len(l["documents"].([]any)) != 1 {
			t.Fatalf("the loss changed: %v", l)
		}
	})
}

// TestLossSummaryToTheCent totals hundreds of losses of every status, some voided, with amounts up to a
// billion dollars, and checks each total against sums made here.
func TestLossSummaryToTheCent(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := dbtest.System() // the store acts as the system here, for speed
		c := newAdminClient(t, s)
		created, _ := createCase(t, c, peters)
		caseID := created.Id.String()
		kinds := []string{"individual", "individual", "business", "government", "insurer", "compensation_fund"}
		var victims []string
		for i, kind := range kinds {
			victims = append(victims, post(t, c, "/api/v1/cases/"+caseID+"/victims", map[string]any{"kind": kind, "name": fmt.Sprint("Victim ", i)})["id"].(string))
		}
		rng := rand.New(rand.NewPCG(5, 7))
		type totals struct{ n, claimed, verified, reimbursed, net int64 }
		add := func(t *totals, claimed int64, verified *int64, reimbursed int64) {
			basis := claimed
			if verified != nil {
				basis = *verified
				t.verified += *verified
			}
			t.n++
			t.claimed += claimed
			t.reimbursed += reimbursed
			t.net += basis - reimbursed
		}
		var all totals
		byCategory, byVictim, byKind := map[string]*totals{}, map[string]*totals{}, map[string]*totals{}
		for i := range 300 {
			v := rng.IntN(len(victims))
			category := models.LossCategories[rng.IntN(len(models.LossCategories))]
			if category == models.LossRemediationTime {
				category = models.LossOther
			}
			claimed := rng.Int64N(100_000_000_000) // up to $1 billion
			nl := models.NewLoss{Category: category, ClaimedCents: claimed}
			basis := claimed
			if rng.IntN(2) == 0 {
				verified := rng.Int64N(claimed + 1)
				nl.VerifiedCents, basis = &verified, verified
			}
			nl.ReimbursedCents = rng.Int64N(basis/2 + 1)
			l, err := s.CreateLoss(ctx, victims[v], nl)
			if err != nil {
				t.Fatal(err)
			}
			status := []models.LossStatus{models.LossClaimed, models.LossDisputed, models.LossExcluded, models.LossVerified, models.LossOrdered}[rng.IntN(5)]
			if status == models.LossVerified || status == models.LossOrdered {
				if nl.VerifiedCents == nil {
					status = models.LossDisputed
				}
			}
			version := int64(1)
			for _, step := range map[models.LossStatus][]models.LossStatus{models.LossDisputed: {models.LossDisputed},
				models.LossExcluded: {models.LossExcluded}, models.LossVerified: {models.LossVerified},
				models.LossOrdered: {models.LossVerified, models.LossOrdered}}[status] {
				if l, err = s.UpdateLoss(ctx, l.ID, version, models.LossUpdate{Status: models.Some(step)}); err != nil {
					t.Fatal(err)
				}
				version = l.Version
			}
			if i%17 == 0 {
				if _, err := s.VoidLoss(ctx, l.ID, 0, "test"); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if status == models.LossExcluded {
				continue
			}
			for _, m := range []struct {
				groups map[string]*totals
				key    string
			}{{byCategory, string(category)}, {byVictim, victims[v]}, {byKind, kinds[v]}} {
				if m.groups[m.key] == nil {
					m.groups[m.key] = &totals{}
				}
				add(m.groups[m.key], claimed, nl.VerifiedCents, nl.ReimbursedCents)
			}
			add(&all, claimed, nl.VerifiedCents, nl.ReimbursedCents)
		}
		var sum api.LossSummary
		c.do("GET", "/api/v1/cases/"+caseID+"/losses/summary", nil).JSON(t, &sum)
		same := func(got api.LossTotals, want *totals) bool {
			return want != nil && got == api.LossTotals{LossCount: want.n, ClaimedCents: want.claimed, VerifiedCents: want.verified,
				ReimbursedCents: want.reimbursed, NetRequestedCents: want.net}
		}
		if !same(sum.Totals, &all) {
			t.Errorf("totals %+v; want %+v", sum.Totals, all)
		}
		if len(sum.ByCategory) != len(byCategory) || len(sum.ByVictim) != len(byVictim) || len(sum.ByVictimKind) != len(byKind) {
			t.Fatalf("groups: %d categories, %d victims, %d kinds", len(sum.ByCategory), len(sum.ByVictim), len(sum.ByVictimKind))
		}
		for _, g := range sum.ByCategory {
			if !same(g.Totals, byCategory[string(g.Category)]) {
				t.Errorf("%s: %+v; want %+v", g.Category, g.Totals, byCategory[string(g.Category)])
			}
		}
		for _, g := range sum.ByVictim {
			if !same(g.Totals, byVictim[g.VictimId.String()]) {
				t.Errorf("victim %s: %+v", g.VictimId, g.Totals)
			}
		}
		for _, g := range sum.ByVictimKind {
			if !same(g.Totals, byKind[string(g.VictimKind)]) {
				t.Errorf("%s: %+v; want %+v", g.VictimKind, g.Totals, byKind[string(g.VictimKind)])
			}
		}
	})
}
