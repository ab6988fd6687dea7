package handlers_test

import (
	"encoding/json"
	"fmt"
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

// The Mesa County resident whose identity was misused. None of these values may reach a prosecutor, a clerk
// (address aside) or the database in the clear.
const (
	residentSSN   = "078-05-1120"
	residentDOB   = "1961-07-14"
	residentPhone = "(970) 555-0123"
	residentEmail = "jane.roe@example.com"
	residentLine1 = "12 Orchard Lane"
	residentNotes = "Prefers calls after 5pm; spoke about the stress of the fraud."
)

// minorBirth is the birth date of a child who is ten years old whenever the suite runs.
var (
	minorBirth = time.Now().UTC().AddDate(-10, 0, 0)
	minorDOB   = minorBirth.Format(time.DateOnly)
)

func resident() map[string]any {
	return map[string]any{
		"kind": "individual", "name": "Jane Roe", "date_of_birth": residentDOB, "ssn": residentSSN,
		"email": residentEmail, "phone": residentPhone,
		"mailing_address": map[string]any{"line1": residentLine1, "line2": "Apt 4", "city": "Grand Junction",
			"state": "co", "postal_code": "81501"},
		"preferred_language": "es", "interpreter_needed": true, "wants_to_be_heard": "both",
		"notification_channels": []string{"email", "sms"}, "notes": residentNotes,
	}
}

// post creates a resource and returns its decoded body as a map, failing unless it answers 201.
func post(t *testing.T, c *client, path string, body any) map[string]any {
	t.Helper()
	res := c.do("POST", path, body)
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST %s: %d %s", path, res.StatusCode, res.Body)
	}
	var out map[string]any
	res.JSON(t, &out)
	if res.Header.Get("Location") == "" || res.Header.Get("ETag") != `"1"` {
		t.Fatalf("POST %s answered Location %q ETag %q", path, res.Header.Get("Location"), res.Header.Get("ETag"))
	}
	return out
}

// get reads a resource as a map, failing unless it answers 200.
func get(t *testing.T, c *client, path string) (map[string]any, response) {
	t.Helper()
	res := c.do("GET", path, nil)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, res.StatusCode, res.Body)
	}
	var out map[string]any
	res.JSON(t, &out)
	return out, res
}

// TestMesaCountyIntake takes in the Mesa County case over HTTP: a resident whose identity was misused, the
// county, a bank that absorbed fraudulent charges and its insurer; a defendant with two counts; the
// hearings up to sentencing.
func TestMesaCountyIntake(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newClient(t, s).signedIn(models.RoleAdvocate)
		created, _ := createCase(t, c, peters)
		caseID := created.Id.String()
		victims := "/api/v1/cases/" + caseID + "/victims"

		jane := post(t, c, victims, resident())
		county := post(t, c, victims, map[string]any{"kind": "government", "name": "Mesa County",
			"mailing_address":   map[string]any{"line1": "544 Rood Avenue", "city": "Grand Junction", "state": "CO", "postal_code": "81501"},
			"wants_to_be_heard": "oral", "notes": "Election equipment replacement and staff time."})
		bank := post(t, c, victims, map[string]any{"kind": "business", "name": "Alpine Bank"})
		insurer := post(t, c, victims, map[string]any{"kind": "insurer", "name": "Western Surety Co."})

		if _, present := jane["ssn"]; present {
			t.Fatalf("the create answer carries the SSN: %v", jane)
		}
		wantJane := map[string]any{
			"view": "full", "kind": "individual", "name": "Jane Roe", "ssn_last4": "1120", "date_of_birth": residentDOB,
			"email": residentEmail, "phone": "+19705550123", "preferred_language": "es", "interpreter_needed": true,
			"wants_to_be_heard": "both", "status": "active", "is_minor": false, "address_confidential": false,
			"notes": residentNotes, "version": float64(1), "case_id": caseID,
		}
		for k, want := range wantJane {
			if jane[k] != want {
				t.Errorf("jane.%s = %v; want %v", k, jane[k], want)
			}
		}
		if addr := jane["mailing_address"].(map[string]any); addr["state"] != "CO" || addr["line1"] != residentLine1 {
			t.Errorf("jane's address: %v", addr)
		}
		if ch := fmt.Sprint(jane["notification_channels"]); ch != "[email sms]" {
			t.Errorf("notification channels %s", ch)
		}
		if bank["status"] != "active" || bank["wants_to_be_heard"] != "none" || bank["preferred_language"] != "en" ||
			bank["ssn_last4"] != nil || bank["mailing_address"] != nil || fmt.Sprint(bank["notification_channels"]) != "[]" {
			t.Errorf("bank defaults: %v", bank)
		}

		var page api.VictimList
		c.do("GET", victims, nil).JSON(t, &page)
		if len(page.Items) != 4 || page.Items[0].Id.String() != insurer["id"] || page.Items[3].Id.String() != jane["id"] {
			t.Fatalf("victims newest first: %+v", page.Items)
		}
		for query, want := range map[string][]string{
			"kind=government":               {county["id"].(string)},
			"q=MESA":                        {county["id"].(string)},
			"q=bank&kind=business":          {bank["id"].(string)},
			"q=bank&kind=insurer":           {},
			"status=declined":               {},
			"kind=individual&status=active": {jane["id"].(string)},
		} {
			var got api.VictimList
			res := c.do("GET", victims+"?"+query, nil)
			res.JSON(t, &got)
			var ids []string
			for _, v := range got.Items {
				ids = append(ids, v.Id.String())
			}
			if res.StatusCode != http.StatusOK || !slices.Equal(ids, want) {
				t.Errorf("?%s: %d %v; want %v", query, res.StatusCode, ids, want)
			}
		}
		// Paging walks all four, two at a time.
		var first, second api.VictimList
		c.do("GET", victims+"?limit=2", nil).JSON(t, &first)
		c.do("GET", victims+"?limit=2&cursor="+first.NextCursor.MustGet(), nil).JSON(t, &second)
		if len(first.Items) != 2 || len(second.Items) != 2 || !second.NextCursor.IsNull() || second.Items[1].Id.String() != jane["id"] {
			t.Fatalf("pages: %+v then %+v", first, second)
		}

		// The defendant and two counts; then the counts change as the case goes on.
		def := post(t, c, "/api/v1/cases/"+caseID+"/defendants", map[string]any{
			"name": "Tina Peters", "date_of_birth": "1955-06-01",
			"charges": []map[string]any{
				{"count_number": 2, "statute": "C.R.S. 18-8-306", "description": "Attempting to influence a public servant"},
				{"count_number": 1, "statute": "C.R.S. 18-5-902", "description": "Identity theft", "disposition": "pending"},
			},
		})
		var d api.Defendant
		res := c.do("GET", "/api/v1/defendants/"+def["id"].(string), nil)
		res.JSON(t, &d)
		if len(d.Charges) != 2 || d.Charges[0].CountNumber != 1 || d.Charges[1].Disposition != "pending" ||
			d.DateOfBirth.MustGet().String() != "1955-06-01" {
			t.Fatalf("defendant: %+v", d)
		}
		countOne := d.Charges[0].Id
		patched := c.do("PATCH", "/api/v1/defendants/"+d.Id.String(), map[string]any{"charges": []map[string]any{
			{"count_number": 1, "statute": "C.R.S. 18-5-902", "description": "Identity theft", "disposition": "convicted"},
			{"count_number": 3, "statute": "C.R.S. 18-8-405", "description": "Official misconduct", "disposition": "acquitted"},
		}}, "If-Match", res.Header.Get("ETag"))
		var after api.Defendant
		patched.JSON(t, &after)
		if patched.StatusCode != http.StatusOK || patched.Header.Get("ETag") != `"2"` || len(after.Charges) != 2 ||
			after.Charges[0].Id != countOne || after.Charges[0].Disposition != "convicted" || after.Charges[1].CountNumber != 3 ||
			after.Name != "Tina Peters" {
			t.Fatalf("charges replaced: %d %s", patched.StatusCode, patched.Body)
		}
		if r := c.do("PATCH", "/api/v1/defendants/"+d.Id.String(), map[string]any{"name": "T. Peters"}, "If-Match", `"1"`); r.StatusCode != http.StatusPreconditionFailed {
			t.Fatalf("stale defendant patch: %d", r.StatusCode)
		}

		// Hearings list earliest first, whatever order they were scheduled in.
		hearings := "/api/v1/cases/" + caseID + "/hearings"
		sentencing := post(t, c, hearings, map[string]any{"kind": "sentencing", "starts_at": "2024-10-03T15:00:00-06:00",
			"location": "Courtroom 10, Mesa County Justice Center", "notes": "Victims to be heard in person."})
		arraignment := post(t, c, hearings, map[string]any{"kind": "arraignment", "starts_at": "2022-03-09T16:30:00Z", "status": "held"})
		if sentencing["starts_at"] != "2024-10-03T21:00:00Z" || sentencing["status"] != "scheduled" || sentencing["notes"] != "Victims to be heard in person." {
			t.Fatalf("sentencing: %v", sentencing)
		}
		var hl api.HearingList
		c.do("GET", hearings+"?limit=1", nil).JSON(t, &hl)
		if len(hl.Items) != 1 || hl.Items[0].Id.String() != arraignment["id"] {
			t.Fatalf("first hearing: %+v", hl)
		}
		c.do("GET", hearings+"?limit=1&cursor="+hl.NextCursor.MustGet(), nil).JSON(t, &hl)
		if len(hl.Items) != 1 || hl.Items[0].Id.String() != sentencing["id"] {
			t.Fatalf("second hearing: %+v", hl)
		}
		moved := c.do("PATCH", "/api/v1/hearings/"+sentencing["id"].(string), `{"status":"continued","starts_at":"2024-10-10T15:00:00Z"}`,
			"If-Match", `"1"`, "Content-Type", "application/merge-patch+json")
		var h api.Hearing
		moved.JSON(t, &h)
		if moved.StatusCode != http.StatusOK || h.Status != "continued" || h.Version != 2 || *h.Notes != "Victims to be heard in person." {
			t.Fatalf("hearing patch: %d %s", moved.StatusCode, moved.Body)
		}

		// A change to the resident: email cleared, phone changed, a note added.
		jp := c.do("PATCH", "/api/v1/victims/"+jane["id"].(string), `{"email":null,"phone":"+44 20 7946 0958","status":"unreachable"}`,
			"If-Match", `"1"`, "Content-Type", "application/merge-patch+json")
		var janeAfter map[string]any
		jp.JSON(t, &janeAfter)
		if jp.StatusCode != http.StatusOK || jp.Header.Get("ETag") != `"2"` || janeAfter["email"] != nil ||
			janeAfter["phone"] != "+442079460958" || janeAfter["status"] != "unreachable" || janeAfter["ssn_last4"] != "1120" ||
			janeAfter["date_of_birth"] != residentDOB || janeAfter["notes"] != residentNotes {
			t.Fatalf("victim patch: %d %s", jp.StatusCode, jp.Body)
		}
		get(t, c, "/api/v1/victims/"+jane["id"].(string))

		// Every create, change, list and read is on record, and no record holds what it was about.
		audit, err := s.ListAuditEvents(dbtest.System(), models.AuditFilter{CaseID: caseID, Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		for _, e := range audit.Items {
			counts[e.Action]++
			raw, _ := json.Marshal(e)
			for _, secret := range []string{"Jane", "Roe", residentDOB, "Orchard", residentEmail} {
				if strings.Contains(string(raw), secret) {
					t.Errorf("audit event %s holds %q", e.Action, secret)
				}
			}
		}
		want := map[string]int{"victim.create": 4, "victim.list": 9, "victim.read": 1, "victim.update": 1,
			"defendant.create": 1, "defendant.update": 1, "hearing.create": 2, "hearing.update": 1}
		for action, n := range want {
			if counts[action] != n {
				t.Errorf("%d %s events; want %d (all: %v)", counts[action], action, n, counts)
			}
		}
	})
}

// intakeTeam is a case with a victim of each sort and a staff member of each role on its team.
type intakeTeam struct {
	caseID         string
	adult, minor   string
	callers        map[models.Role]*client
	defendant      string
	hearing        string
	outsideCounsel *client // a prosecutor off the team
}

func newIntakeTeam(t *testing.T, s *models.Store) intakeTeam {
	anonymous := newClient(t, s)
	admin := anonymous.signedIn(models.RoleAdmin)
	created, _ := createCase(t, admin, peters)
	it := intakeTeam{caseID: created.Id.String(), callers: map[models.Role]*client{}}
	var team []map[string]string
	for _, role := range models.Roles {
		it.callers[role] = anonymous.signedIn(role)
		team = append(team, map[string]string{"user_id": it.callers[role].user.ID})
	}
	if r := admin.do("PUT", "/api/v1/cases/"+it.caseID+"/team", map[string]any{"members": team}); r.StatusCode != http.StatusOK {
		t.Fatalf("team: %d %s", r.StatusCode, r.Body)
	}
	it.outsideCounsel = anonymous.signedIn(models.RoleProsecutor)
	it.adult = post(t, admin, "/api/v1/cases/"+it.caseID+"/victims", resident())["id"].(string)
	// A child whose minority nobody ticked: the date of birth says so.
	it.minor = post(t, admin, "/api/v1/cases/"+it.caseID+"/victims", map[string]any{
		"kind": "individual", "name": "Tommy Lee Roe", "date_of_birth": minorDOB, "phone": "970-555-0188",
		"mailing_address": map[string]any{"line1": residentLine1, "city": "Grand Junction", "state": "CO", "postal_code": "81501"},
	})["id"].(string)
	it.defendant = post(t, admin, "/api/v1/cases/"+it.caseID+"/defendants", map[string]any{"name": "Tina Peters", "date_of_birth": "1955-06-01",
		"charges": []map[string]any{{"count_number": 1, "statute": "C.R.S. 18-5-902"}}})["id"].(string)
	it.hearing = post(t, admin, "/api/v1/cases/"+it.caseID+"/hearings", map[string]any{"kind": "sentencing",
		"starts_at": "2024-10-03T21:00:00Z", "notes": "Jane Roe will read her statement."})["id"].(string)
	return it
}

func keysOf(m map[string]any) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// TestVictimRoleViews reads the same victims as each role, one by one and in the list: prosecutors get the
// Rule 49.1 view and clerks the name and address, and neither ever receives what their view withholds.
func TestVictimRoleViews(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		it := newIntakeTeam(t, s)
		withheldFromProsecutors := []string{residentSSN, "078051120", residentDOB, "555-0123", "5550123", residentEmail,
			residentLine1, "Apt 4", "81501", "Prefers calls", "Tommy", minorDOB, "555-0188", "5550188"}
		for _, role := range models.Roles {
			c := it.callers[role]
			t.Run(string(role), func(t *testing.T) {
				c := c.as(t)
				adult, res := get(t, c, "/api/v1/victims/"+it.adult)
				minor, minorRes := get(t, c, "/api/v1/victims/"+it.minor)
				list := c.do("GET", "/api/v1/cases/"+it.caseID+"/victims", nil)
				var listed struct{ Items []map[string]any }
				list.JSON(t, &listed)
				if list.StatusCode != http.StatusOK || len(listed.Items) != 2 {
					t.Fatalf("list: %d %s", list.StatusCode, list.Body)
				}
				if _, ok := adult["ssn"]; ok {
					t.Errorf("the SSN came without ?reveal=ssn: %v", adult)
				}
				bodies := string(res.Body) + string(minorRes.Body) + string(list.Body)
				switch role {
				case models.RoleAdmin, models.RoleSupervisor, models.RoleAdvocate:
					if adult["view"] != "full" || adult["date_of_birth"] != residentDOB || adult["phone"] != "+19705550123" ||
						adult["email"] != residentEmail || adult["notes"] != residentNotes || adult["ssn_last4"] != "1120" ||
						adult["mailing_address"].(map[string]any)["line1"] != residentLine1 {
						t.Errorf("full view: %v", adult)
					}
					if minor["name"] != "Tommy Lee Roe" || minor["is_minor"] != true {
						t.Errorf("full view of the minor: %v", minor)
					}
				case models.RoleProsecutor:
					for _, secret := range withheldFromProsecutors {
						if strings.Contains(bodies, secret) {
							t.Errorf("a prosecutor received %q: %s", secret, bodies)
						}
					}
					for _, v := range append(listed.Items, adult, minor) {
						for _, field := range []string{"ssn", "date_of_birth", "phone", "email", "notes"} {
							if _, ok := v[field]; ok {
								t.Errorf("a prosecutor received %s: %v", field, v)
							}
						}
						if addr := v["mailing_address"].(map[string]any); !slices.Equal(keysOf(addr), []string{"city", "state"}) {
							t.Errorf("a prosecutor received address fields %v", keysOf(addr))
						}
						if v["view"] != "rule_49_1" {
							t.Errorf("view %v", v["view"])
						}
					}
					if adult["birth_year"] != float64(1961) || adult["ssn_last4"] != "1120" || adult["name"] != "Jane Roe" ||
						adult["preferred_language"] != "es" || adult["wants_to_be_heard"] != "both" {
						t.Errorf("Rule 49.1 view of the adult: %v", adult)
					}
					if minor["name"] != "T. L. R." || minor["is_minor"] != true || minor["birth_year"] != float64(minorBirth.Year()) {
						t.Errorf("Rule 49.1 view of the minor: %v", minor)
					}
				case models.RoleClerk:
					want := []string{"case_id", "created_at", "id", "kind", "mailing_address", "name", "status", "updated_at", "version", "view"}
					for _, v := range append(listed.Items, adult, minor) {
						if !slices.Equal(keysOf(v), want) || v["view"] != "clerk" {
							t.Errorf("a clerk received %v; want only %v", keysOf(v), want)
						}
					}
					if adult["mailing_address"].(map[string]any)["line1"] != residentLine1 || adult["name"] != "Jane Roe" {
						t.Errorf("clerk view: %v", adult)
					}
					for _, secret := range []string{"+1970", residentDOB, minorDOB, residentEmail, "Prefers calls"} {
						if strings.Contains(bodies, secret) {
							t.Errorf("a clerk received %q", secret)
						}
					}
				}

				// Defendants' birth dates are for staff; hearing notes are not for clerks.
				d, _ := get(t, c, "/api/v1/defendants/"+it.defendant)
				h, _ := get(t, c, "/api/v1/hearings/"+it.hearing)
				_, dobShown := d["date_of_birth"]
				_, notesShown := h["notes"]
				if dobShown == (role == models.RoleClerk) || notesShown == (role == models.RoleClerk) {
					t.Errorf("defendant %v, hearing %v", d, h)
				}
			})
		}

		// Off the team, the victims do not exist.
		for _, path := range []string{"/api/v1/victims/" + it.adult, "/api/v1/cases/" + it.caseID + "/victims",
			"/api/v1/defendants/" + it.defendant, "/api/v1/hearings/" + it.hearing} {
			if r := it.outsideCounsel.do("GET", path, nil); r.StatusCode != http.StatusNotFound {
				t.Errorf("prosecutor off the team: GET %s: %d", path, r.StatusCode)
			}
		}
		if r := it.outsideCounsel.do("PATCH", "/api/v1/hearings/"+it.hearing, map[string]any{"status": "held"}, "If-Match", `"9"`); r.StatusCode != http.StatusNotFound {
			t.Errorf("prosecutor off the team, stale If-Match: %d", r.StatusCode)
		}
	})
}

// TestRevealSSN shows the full SSN to those allowed, and records who saw it; others are refused, on record.
func TestRevealSSN(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		it := newIntakeTeam(t, s)
		path := "/api/v1/victims/" + it.adult + "?reveal=ssn"
		for _, role := range models.Roles {
			res := it.callers[role].do("GET", path, nil)
			allowed := role == models.RoleAdmin || role == models.RoleSupervisor || role == models.RoleAdvocate
			if !allowed {
				if res.StatusCode != http.StatusForbidden || strings.Contains(string(res.Body), "1120") {
					t.Errorf("%s revealing: %d %s", role, res.StatusCode, res.Body)
				}
				continue
			}
			var v api.Victim
			res.JSON(t, &v)
			if res.StatusCode != http.StatusOK || v.Ssn == nil || *v.Ssn != residentSSN {
				t.Errorf("%s revealing: %d %s", role, res.StatusCode, res.Body)
			}
		}
		if r := it.outsideCounsel.do("GET", path, nil); r.StatusCode != http.StatusNotFound {
			t.Errorf("off the team: %d", r.StatusCode)
		}
		page, err := s.ListAuditEvents(dbtest.System(), models.AuditFilter{Action: "victim.reveal_ssn"})
		if err != nil {
			t.Fatal(err)
		}
		who := map[string]models.Outcome{}
		for _, e := range page.Items {
			if e.ObjectID != it.adult || e.CaseID == nil || *e.CaseID != it.caseID {
				t.Errorf("reveal event about %s in %v", e.ObjectID, e.CaseID)
			}
			who[e.ActorID] = e.Outcome
		}
		for _, role := range models.Roles {
			want := models.OutcomeSuccess
			if role == models.RoleProsecutor || role == models.RoleClerk {
				want = models.OutcomeDenied
			}
			if got := who[it.callers[role].user.ID]; got != want {
				t.Errorf("%s's reveal recorded as %q; want %q", role, got, want)
			}
		}
		if len(page.Items) != len(models.Roles) {
			t.Errorf("%d reveal events; want %d", len(page.Items), len(models.Roles))
		}
	})
}

// TestDuplicateVictims refuses a second record of one person within a case, by SSN or by name and date of
// birth, and says which record is already there; another case may hold the same person.
func TestDuplicateVictims(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newAdminClient(t, s)
		created, _ := createCase(t, c, peters)
		victims := "/api/v1/cases/" + created.Id.String() + "/victims"
		jane := post(t, c, victims, resident())["id"].(string)

		for name, body := range map[string]map[string]any{
			"same SSN, other spelling":         {"kind": "individual", "name": "J. Roe", "ssn": "078051120"},
			"same name and birth date, folded": {"kind": "individual", "name": "  JANE   roe ", "date_of_birth": residentDOB},
		} {
			res := c.do("POST", victims, body)
			if res.StatusCode != http.StatusConflict {
				t.Fatalf("%s: %d %s", name, res.StatusCode, res.Body)
			}
			if p := res.Problem(t); p.ExistingID != jane || strings.Contains(p.Detail, "1120") {
				t.Errorf("%s: problem %+v; want existing_id %s", name, p, jane)
			}
		}
		// Same name, another birth date: another person.
		other := post(t, c, victims, map[string]any{"kind": "individual", "name": "Jane Roe", "date_of_birth": "1962-07-14"})["id"].(string)
		// Changing that victim into a duplicate is refused too.
		res := c.do("PATCH", "/api/v1/victims/"+other, map[string]any{"ssn": residentSSN}, "If-Match", `"1"`)
		if res.StatusCode != http.StatusConflict || res.Problem(t).ExistingID != jane {
			t.Fatalf("patch into a duplicate: %d %s", res.StatusCode, res.Body)
		}

		// Another case may have the same resident.
		second, _ := createCase(t, c, map[string]any{"court_case_number": "23CR1", "caption": "People v. Other",
			"court": "Mesa County District Court", "jurisdiction": "us-co"})
		post(t, c, "/api/v1/cases/"+second.Id.String()+"/victims", resident())

		// Removing the SSN and adding it back again is no duplicate of itself.
		for i, body := range []string{`{"ssn":null}`, `{"ssn":"078-05-1120"}`} {
			r := c.do("PATCH", "/api/v1/victims/"+jane, body, "If-Match", fmt.Sprintf(`"%d"`, i+1))
			var v map[string]any
			r.JSON(t, &v)
			if r.StatusCode != http.StatusOK || (i == 0) != (v["ssn_last4"] == nil) {
				t.Fatalf("%s: %d %s", body, r.StatusCode, r.Body)
			}
		}
	})
}

// TestConcurrentVictimPatches sends two changes made from the same version at once: one wins, the other is
// told the victim changed under it, and the winner's change is the one kept.
func TestConcurrentVictimPatches(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newClient(t, s).signedIn(models.RoleAdvocate)
		created, _ := createCase(t, c, peters)
		id := post(t, c, "/api/v1/cases/"+created.Id.String()+"/victims", resident())["id"].(string)
		for round := 1; round <= 3; round++ {
			var wg sync.WaitGroup
			statuses := make([]int, 2)
			bodies := make([][]byte, 2)
			start := make(chan struct{})
			for i := range 2 {
				wg.Go(func() {
					<-start
					r := c.do("PATCH", "/api/v1/victims/"+id, map[string]any{"notes": fmt.Sprintf("round %d writer %d", round, i)},
						"If-Match", fmt.Sprintf(`"%d"`, round))
					statuses[i], bodies[i] = r.StatusCode, r.Body
				})
			}
			close(start)
			wg.Wait()
			slices.Sort(statuses)
			if statuses[0] != http.StatusOK || statuses[1] != http.StatusPreconditionFailed {
				t.Fatalf("round %d: statuses %v: %s / %s", round, statuses, bodies[0], bodies[1])
			}
			v, _ := get(t, c, "/api/v1/victims/"+id)
			if v["version"] != float64(round+1) || !strings.HasPrefix(v["notes"].(string), fmt.Sprintf("round %d writer", round)) {
				t.Fatalf("round %d kept %v", round, v)
			}
		}
	})
}

// TestIntakeValidation refuses invalid victims, defendants and hearings field by field, and stores nothing.
func TestIntakeValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newAdminClient(t, s)
		created, _ := createCase(t, c, peters)
		caseID := created.Id.String()
		victims := "/api/v1/cases/" + caseID + "/victims"
		with := func(field string, value any) map[string]any {
			b := map[string]any{"kind": "individual", "name": "Jane Roe"}
			if strings.Contains(field, ".") {
				addr := map[string]any{"line1": "1 Main St", "city": "Grand Junction", "state": "CO", "postal_code": "81501"}
				addr[strings.TrimPrefix(field, "mailing_address.")] = value
				b["mailing_address"] = addr
				return b
			}
			b[field] = value
			return b
		}
		for _, tc := range []struct {
			name, field string
			value       any
		}{
			{"SSN area 000", "ssn", "000-12-3456"},
			{"SSN area 666", "ssn", "666-12-3456"},
			{"SSN area 9xx", "ssn", "912-34-5678"},
			{"SSN group 00", "ssn", "123-00-4567"},
			{"SSN serial 0000", "ssn", "123-45-0000"},
			{"SSN of eight digits", "ssn", "12345678a"},
			{"SSN with odd dashes", "ssn", "123-456789"},
			{"birth date in the future", "date_of_birth", "2999-01-01"},
			{"birth date before 1900", "date_of_birth", "1899-12-31"},
			{"birth date that is no date", "date_of_birth", "1961-02-30"},
			{"email", "email", "jane at example"},
			{"short phone", "phone", "555-1234"},
			{"phone with area code 0xx", "phone", "(070) 555-0123"},
			{"phone with letters", "phone", "+1 970 CALL NOW"},
			{"state spelled out", "mailing_address.state", "Colorado"},
			{"unknown state", "mailing_address.state", "ZZ"},
			{"postal code", "mailing_address.postal_code", "8150A"},
			{"missing street", "mailing_address.line1", ""},
			{"kind", "kind", "person"},
			{"wants to be heard", "wants_to_be_heard", "loudly"},
			{"notification channel", "notification_channels", []string{"pigeon"}},
			{"language", "preferred_language", "english!"},
			{"blank name", "name", "   "},
			{"name with a line break", "name", "Jane\nRoe"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := c.as(t).do("POST", victims, with(tc.field, tc.value))
				if res.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("status %d; want 422: %s", res.StatusCode, res.Body)
				}
				p := res.Problem(t)
				field := tc.field
				if tc.field == "notification_channels" {
					field = "notification_channels.0"
				}
				if p.Errors[field] == "" {
					t.Errorf("errors lack %s: %v", field, p.Errors)
				}
				if v, ok := tc.value.(string); ok && len(v) > 3 && strings.Contains(string(res.Body), v) {
					t.Errorf("the problem echoes the value: %s", res.Body)
				}
			})
		}
		// Both spellings of an SSN are one SSN; ten digits are a US phone; lower-case states are fine.
		ok := post(t, c, victims, map[string]any{"kind": "individual", "name": "Ok Person", "ssn": "123456789", "phone": "970.555.0100",
			"mailing_address": map[string]any{"line1": "1 Main St", "city": "Fruita", "state": "co", "postal_code": "81521-1234"}})
		if ok["ssn_last4"] != "6789" || ok["phone"] != "+19705550100" {
			t.Fatalf("normalised: %v", ok)
		}

		for _, tc := range []struct {
			name, path string
			body       any
			field      string
		}{
			{"repeated count", "/defendants", map[string]any{"name": "X", "charges": []map[string]any{
				{"count_number": 1, "statute": "A"}, {"count_number": 1, "statute": "B"}}}, "charges.1.count_number"},
			{"count zero", "/defendants", map[string]any{"name": "X", "charges": []map[string]any{{"count_number": 0, "statute": "A"}}}, "charges.0.count_number"},
			{"blank statute", "/defendants", map[string]any{"name": "X", "charges": []map[string]any{{"count_number": 1, "statute": " "}}}, "charges.0.statute"},
			{"disposition", "/defendants", map[string]any{"name": "X", "charges": []map[string]any{{"count_number": 1, "statute": "A", "disposition": "hung"}}}, "charges.0.disposition"},
			{"defendant born tomorrow", "/defendants", map[string]any{"name": "X", "date_of_birth": "2999-01-01"}, "date_of_birth"},
			{"hearing kind", "/hearings", map[string]any{"kind": "picnic", "starts_at": "2024-10-03T15:00:00Z"}, "kind"},
			{"hearing without a time", "/hearings", map[string]any{"kind": "trial"}, "starts_at"},
			{"hearing in 2300", "/hearings", map[string]any{"kind": "trial", "starts_at": "2300-01-01T00:00:00Z"}, "starts_at"},
			{"hearing status", "/hearings", map[string]any{"kind": "trial", "starts_at": "2024-10-03T15:00:00Z", "status": "postponed"}, "status"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := c.as(t).do("POST", "/api/v1/cases/"+caseID+tc.path, tc.body)
				if res.StatusCode != http.StatusUnprocessableEntity || res.Problem(t).Errors[tc.field] == "" {
					t.Fatalf("status %d; want 422 on %s: %s", res.StatusCode, tc.field, res.Body)
				}
			})
		}

		// Nothing refused above was stored; a change still needs If-Match, and an absent victim is 404 first.
		var page api.VictimList
		c.do("GET", victims, nil).JSON(t, &page)
		if len(page.Items) != 1 {
			t.Fatalf("%d victims stored; want only the valid one", len(page.Items))
		}
		if r := c.do("PATCH", "/api/v1/victims/"+page.Items[0].Id.String(), map[string]any{"notes": "x"}); r.StatusCode != http.StatusPreconditionRequired {
			t.Fatalf("PATCH without If-Match: %d", r.StatusCode)
		}
		if r := c.do("PATCH", "/api/v1/victims/01a211c6-f93c-78c4-8695-72deaf645c6f", map[string]any{"notes": "x"}); r.StatusCode != http.StatusNotFound {
			t.Fatalf("PATCH of an absent victim: %d", r.StatusCode)
		}
	})
}
