package handlers_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/impactledger/impactledger/api"
	"github.com/impactledger/impactledger/dbtest"
	"github.com/impactledger/impactledger/handlers"
	"github.com/impactledger/impactledger/models"
)

// TestAuthorizationMatrix walks every operation of the contract as every kind of caller, anonymous and each
// role, on a case whose team the caller is on and on one it is not, and checks the answer against the
// operation's declared access: public operations are open; everything else is 401 without a session and
// 403 for a role not in x-roles; advocates and prosecutors get 404 for cases off their teams; otherwise 2xx.
// An operation that declares neither x-public nor x-roles fails the test.
func TestAuthorizationMatrix(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		callersOfNoKnownKind := &impostors{Store: s, sessions: map[string]models.Session{}}
		anonymous := newClient(t, s, func(cfg *handlers.Config) { cfg.Store = callersOfNoKnownKind })
		admin := anonymous.signedIn(models.RoleAdmin)
		callers := map[string]*client{"anonymous": anonymous}
		for _, role := range models.Roles {
			callers[string(role)] = anonymous.signedIn(role)
		}
		// An advocate on no caller's team, so that the other case can keep one.
		outsider := anonymous.signedIn(models.RoleAdvocate)
		own, _ := createCase(t, admin, peters)
		other, _ := createCase(t, admin, map[string]any{"court_case_number": "23CR1", "caption": "People v. Other",
			"court": "Denver District Court", "jurisdiction": "us-co"})
		team := []map[string]string{}
		for _, role := range models.Roles {
			team = append(team, map[string]string{"user_id": callers[string(role)].user.ID})
		}
		// A victim of the case the staff callers work, signed in as the portal will sign victims in; a staff
		// account whose role this service does not know; and a caller of a kind it does not know. Each reaches
		// nothing on the staff side, including the victim's own record.
		ownVictim := admin.do("POST", "/api/v1/cases/"+own.Id.String()+"/victims", map[string]any{"kind": "individual", "name": "Ada Victim"})
		var victim struct {
			ID string `json:"id"`
		}
		ownVictim.JSON(t, &victim)
		for name, actor := range map[string]models.Actor{
			"victim":        {Type: models.ActorVictim, ID: victim.ID},
			"unknown role":  {Type: models.ActorUser, ID: callers["advocate"].user.ID, Role: "auditor"},
			"unknown actor": {Type: "robot", ID: uuid.NewString()},
		} {
			callers[name] = callersOfNoKnownKind.signIn(anonymous, actor)
		}
		if r := admin.do("PUT", "/api/v1/cases/"+own.Id.String()+"/team", map[string]any{"members": team}); r.StatusCode != http.StatusOK {
			t.Fatalf("setting the team: %d %s", r.StatusCode, r.Body)
		}

		created := 0
		// Sample bodies by operation ID, lower-cased (the embedded contract capitalises the IDs).
		bodies := map[string]func(target api.Case) any{
			"createcase": func(api.Case) any {
				created++
				return map[string]any{"court_case_number": fmt.Sprint("MX-", created), "caption": "People v. Matrix",
					"court": "Mesa County District Court", "jurisdiction": "us-co"}
			},
			"updatecase": func(api.Case) any { return map[string]any{"notes": "checked by the matrix"} },
			// The other case's team stays without the callers, so that it stays off their teams.
			"setcaseteam": func(target api.Case) any {
				if target.Id == own.Id {
					return map[string]any{"members": team}
				}
				return map[string]any{"members": []map[string]string{{"user_id": admin.user.ID}, {"user_id": outsider.user.ID}}}
			},
			"login":       func(api.Case) any { return map[string]string{"email": admin.user.Email, "password": staffPassword} },
			"createtoken": func(api.Case) any { return map[string]any{"name": "matrix", "expires_in_days": 7} },
			"createuser": func(api.Case) any {
				created++
				return map[string]any{"email": fmt.Sprintf("new%d@mesa.gov", created), "display_name": "New Staff",
					"role": "clerk", "password": staffPassword}
			},
			"updateuser":     func(api.Case) any { return map[string]any{"display_name": "Renamed by the matrix"} },
			"reauthenticate": func(api.Case) any { return map[string]string{"password": staffPassword} },
			// Each caller changes its own password once, after everything that needs the old one.
			"changepassword": func(api.Case) any {
				return map[string]string{"current_password": staffPassword, "new_password": "a new passphrase for the matrix"}
			},
			// Replaced by a real code for signed-in callers below.
			"confirmmfaenrollment": func(api.Case) any { return map[string]string{"code": "000000"} },
			"createvictim": func(api.Case) any {
				created++
				return map[string]any{"kind": "individual", "name": fmt.Sprint("Matrix Victim ", created)}
			},
			"updatevictim":    func(api.Case) any { return map[string]any{"notes": "checked by the matrix"} },
			"createdefendant": func(api.Case) any { return map[string]any{"name": "Matrix Defendant"} },
			"updatedefendant": func(api.Case) any {
				return map[string]any{"charges": []map[string]any{{"count_number": 1, "statute": "C.R.S. 18-5-902"}}}
			},
			"createhearing": func(api.Case) any { return map[string]any{"kind": "trial", "starts_at": "2025-03-03T16:00:00Z"} },
			"updatehearing": func(api.Case) any { return map[string]any{"status": "held"} },
			"createstatement": func(api.Case) any {
				return map[string]any{"sections": map[string]any{"emotional": "Checked by the matrix."}}
			},
			"updatestatement": func(api.Case) any {
				return map[string]any{"sections": map[string]any{"other": "Checked by the matrix."}}
			},
			"createloss": func(api.Case) any {
				return map[string]any{"category": "credit_monitoring", "claimed_cents": 19900}
			},
			"updateloss":     func(api.Case) any { return map[string]any{"description": "checked by the matrix"} },
			"voidloss":       func(api.Case) any { return map[string]any{"reason": "entered by the matrix"} },
			"voiddocument":   func(api.Case) any { return map[string]any{"reason": "attached by the matrix"} },
			"uploaddocument": func(api.Case) any { return filePart{"file", "receipt.txt", []byte("Receipt: $12.00\n")} },
			"createvictimimport": func(api.Case) any {
				created++
				return csvBody(fmt.Sprintf("kind,name\nindividual,Matrix Import %d\n", created))
			},
		}

		// A victim, a defendant, a hearing and a statement in each case, for the operations on one of them.
		records := map[string]map[string]string{} // case ID → path parameter → record ID
		// newStatement starts a statement of the target case's victim, taken as far as action ("", "submit").
		newStatement := func(target api.Case, action string) string {
			res := admin.do("POST", "/api/v1/victims/"+records[target.Id.String()]["{victim_id}"]+"/statements",
				map[string]any{"sections": map[string]any{"emotional": "Matrix statement."}})
			var made struct {
				ID string `json:"id"`
			}
			res.JSON(t, &made)
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("creating a statement: %d %s", res.StatusCode, res.Body)
			}
			if action != "" {
				if res := admin.do("POST", "/api/v1/statements/"+made.ID+"/"+action, nil); res.StatusCode != http.StatusOK {
					t.Fatalf("%s of a statement: %d %s", action, res.StatusCode, res.Body)
				}
			}
			return made.ID
		}
		for _, target := range []api.Case{own, other} {
			records[target.Id.String()] = map[string]string{}
			for param, create := range map[string]struct {
				path string
				body any
			}{
				"{victim_id}":    {"victims", map[string]any{"kind": "business", "name": "Matrix Bank"}},
				"{defendant_id}": {"defendants", map[string]any{"name": "Matrix Defendant"}},
				"{hearing_id}":   {"hearings", map[string]any{"kind": "sentencing", "starts_at": "2025-04-01T15:00:00Z"}},
			} {
				res := admin.do("POST", "/api/v1/cases/"+target.Id.String()+"/"+create.path, create.body)
				var made struct {
					ID string `json:"id"`
				}
				res.JSON(t, &made)
				if res.StatusCode != http.StatusCreated {
					t.Fatalf("creating %s: %d %s", create.path, res.StatusCode, res.Body)
				}
				records[target.Id.String()][param] = made.ID
			}
			records[target.Id.String()]["{statement_id}"] = newStatement(target, "")
			// A loss with a document, and a loss of its own for voiding, which would end the other's changes.
			ids := records[target.Id.String()]
			for _, param := range []string{"{loss_id}", "void:{loss_id}"} {
				res := admin.do("POST", "/api/v1/victims/"+ids["{victim_id}"]+"/losses", map[string]any{"category": "other", "claimed_cents": 100})
				var made struct {
					ID string `json:"id"`
				}
				res.JSON(t, &made)
				if res.StatusCode != http.StatusCreated {
					t.Fatalf("creating a loss: %d %s", res.StatusCode, res.Body)
				}
				ids[param] = made.ID
			}
			res := admin.do("POST", "/api/v1/losses/"+ids["{loss_id}"]+"/documents", filePart{"file", "letter.txt", []byte("A letter.\n")})
			var doc struct {
				ID string `json:"id"`
			}
			res.JSON(t, &doc)
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("uploading a document: %d %s", res.StatusCode, res.Body)
			}
			ids["{document_id}"] = doc.ID
			res = admin.do("POST", "/api/v1/cases/"+target.Id.String()+"/victim-imports", csvBody("kind,name\nindividual,Matrix List\n"))
			var imp struct {
				ID string `json:"id"`
			}
			res.JSON(t, &imp)
			if res.StatusCode != http.StatusAccepted {
				t.Fatalf("starting an import: %d %s", res.StatusCode, res.Body)
			}
			ids["{import_id}"] = imp.ID
		}

		// A restitution order in each case, with a payment that leaves money to disburse and credit to refund.
		newPayment := func(target api.Case) string {
			ids := records[target.Id.String()]
			res := admin.do("POST", "/api/v1/restitution-orders/"+ids["{order_id}"]+"/payments", map[string]any{"amount_cents": 100,
				"received_on": "2025-02-01", "payer_defendant_id": ids["{defendant_id}"], "method": "check"}, moneyKey()...)
			var made struct {
				ID string `json:"id"`
			}
			res.JSON(t, &made)
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("recording a payment: %d %s", res.StatusCode, res.Body)
			}
			return made.ID
		}
		for _, target := range []api.Case{own, other} {
			ids := records[target.Id.String()]
			res := admin.do("POST", "/api/v1/cases/"+target.Id.String()+"/restitution-orders", map[string]any{"ordered_on": "2025-01-01",
				"defendant_ids": []string{ids["{defendant_id}"]}, "lines": []map[string]any{{"victim_id": ids["{victim_id}"], "amount_cents": 100_000}}})
			var order struct {
				ID string `json:"id"`
			}
			res.JSON(t, &order)
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("entering an order: %d %s", res.StatusCode, res.Body)
			}
			ids["{order_id}"] = order.ID
			res = admin.do("POST", "/api/v1/restitution-orders/"+order.ID+"/payments", map[string]any{"amount_cents": 200_000,
				"received_on": "2025-02-01", "payer_defendant_id": ids["{defendant_id}"], "method": "check"}, moneyKey()...)
			var payment struct {
				ID string `json:"id"`
			}
			res.JSON(t, &payment)
			if res.StatusCode != http.StatusCreated {
				t.Fatalf("recording a payment: %d %s", res.StatusCode, res.Body)
			}
			ids["{entry_id}"] = payment.ID
		}
		bodies["createrestitutionorder"] = func(target api.Case) any {
			ids := records[target.Id.String()]
			return map[string]any{"ordered_on": "2025-01-01", "defendant_ids": []string{ids["{defendant_id}"]},
				"lines": []map[string]any{{"victim_id": ids["{victim_id}"], "amount_cents": 5_000}}}
		}
		bodies["createpayment"] = func(target api.Case) any {
			return map[string]any{"amount_cents": 100, "received_on": "2025-02-01",
				"payer_defendant_id": records[target.Id.String()]["{defendant_id}"], "method": "eft"}
		}
		bodies["createrefund"] = func(api.Case) any { return map[string]any{"amount_cents": 1, "paid_on": "2025-02-02"} }
		bodies["createadjustment"] = func(target api.Case) any {
			return map[string]any{"victim_id": records[target.Id.String()]["{victim_id}"], "delta_cents": 1,
				"effective_on": "2025-02-01", "reason": "Amended by the matrix."}
		}
		bodies["createdisbursement"] = func(target api.Case) any {
			return map[string]any{"victim_id": records[target.Id.String()]["{victim_id}"], "amount_cents": 1,
				"paid_on": "2025-02-02", "method": "check"}
		}
		bodies["reversepayment"] = func(api.Case) any { return map[string]any{"reason": "Bounced in the matrix."} }
		bodies["putjurisdiction"] = func(api.Case) any {
			return map[string]any{"name": "Matrix", "interest": map[string]any{"mode": "none", "threshold_cents": 0,
				"waived_if_principal_paid_within_days": 0}, "priority_classes": [][]string{{"individual", "business"},
				{"insurer", "compensation_fund"}, {"government"}}}
		}

		// Other path parameters: an account to administer, and a fresh token of the caller's own to revoke.
		subject, err := s.CreateUser(dbtest.System(), models.NewUser{Email: "subject@mesa.gov", DisplayName: "Subject",
			Role: models.RoleClerk, Password: staffPassword})
		if err != nil {
			t.Fatal(err)
		}
		// A public reset with a code an administrator issued, for an account of its own.
		resettable, err := s.CreateUser(dbtest.System(), models.NewUser{Email: "resettable@mesa.gov",
			DisplayName: "Resettable", Role: models.RoleClerk, Password: staffPassword})
		if err != nil {
			t.Fatal(err)
		}
		bodies["resetpasswordwithcode"] = func(api.Case) any {
			code, _, err := s.ResetPassword(dbtest.System(), resettable.ID)
			if err != nil {
				t.Fatal(err)
			}
			return map[string]string{"email": resettable.Email, "code": code, "new_password": "a new passphrase for the matrix"}
		}
		fill := func(path string, caller *client, target api.Case) string {
			path = strings.ReplaceAll(path, "{case_id}", target.Id.String())
			if strings.HasSuffix(path, "/losses/{loss_id}/void") {
				path = strings.ReplaceAll(path, "{loss_id}", records[target.Id.String()]["void:{loss_id}"])
			}
			path = strings.ReplaceAll(path, "{user_id}", subject.ID)
			path = strings.ReplaceAll(path, "{code}", "us-co")
			for param, id := range records[target.Id.String()] {
				path = strings.ReplaceAll(path, param, id)
			}
			if strings.Contains(path, "{token_id}") {
				owner := caller.user.ID
				if !caller.user.Role.Valid() {
					owner = admin.user.ID // callers without an account of their own try someone's real token
				}
				tok, _, err := s.CreateToken(dbtest.System(), owner, models.NewToken{Name: "to revoke", Days: 1, Access: models.TokenRead})
				if err != nil {
					t.Fatal(err)
				}
				path = strings.ReplaceAll(path, "{token_id}", tok.ID)
			}
			return path
		}

		doc, err := api.GetSpec()
		if err != nil {
			t.Fatal(err)
		}
		type call struct {
			method, path string
			op           *openapi3.Operation
		}
		var calls []call
		for path, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				calls = append(calls, call{method, path, op})
			}
		}
		// Signing out ends the caller's session, so it goes last; turning two-factor sign-in on makes starting
		// it a conflict, and re-authenticating needs the password changing the password replaces, so those go
		// just before.
		rank := map[string]int{"changepassword": 1, "confirmmfaenrollment": 1, "logout": 2}
		// These give the caller's session a new token when they succeed.
		renewsSession := map[string]bool{"reauthenticate": true, "changepassword": true, "confirmmfaenrollment": true}
		slices.SortFunc(calls, func(a, b call) int {
			return rank[strings.ToLower(a.op.OperationID)] - rank[strings.ToLower(b.op.OperationID)]
		})
		for _, cl := range calls {
			op, id := cl.op, strings.ToLower(cl.op.OperationID)
			public, _ := op.Extensions["x-public"].(bool)
			roles := extensionRoles(op)
			if !public && len(roles) == 0 {
				t.Errorf("%s %s declares neither x-public nor x-roles", cl.method, cl.path)
				continue
			}
			if op.RequestBody != nil && bodies[id] == nil {
				t.Errorf("the matrix has no sample body for %s", op.OperationID)
				continue
			}
			if public {
				body := any(nil)
				if bodies[id] != nil {
					body = bodies[id](own)
				}
				if res := anonymous.do(cl.method, cl.path, body); res.StatusCode >= 300 {
					t.Errorf("public %s %s: %d %s", cl.method, cl.path, res.StatusCode, res.Body)
				}
				continue
			}
			// A victim, defendant, hearing, statement, loss, document or import is scoped by its case as much as the case's own
			// paths are.
			caseScoped := false
			for _, param := range []string{"{case_id}", "{victim_id}", "{defendant_id}", "{hearing_id}", "{statement_id}", "{loss_id}", "{document_id}", "{import_id}", "{order_id}", "{payment_id}", "{entry_id}"} {
				caseScoped = caseScoped || strings.Contains(cl.path, param)
			}
			for name, caller := range callers {
				for _, target := range []api.Case{own, other} {
					if !caseScoped && target.Id != own.Id {
						continue
					}
					path := cl.path
					// Submitting and finalizing work once per statement: each call gets a statement of its own,
					// in the state the action starts from.
					switch id {
					case "submitstatement":
						path = strings.ReplaceAll(path, "{statement_id}", newStatement(target, ""))
					case "finalizestatement":
						path = strings.ReplaceAll(path, "{statement_id}", newStatement(target, "submit"))
					case "reversepayment":
						path = strings.ReplaceAll(path, "{payment_id}", newPayment(target))
					case "putjurisdiction":
						path = strings.ReplaceAll(path, "{code}", "xx-matrix")
					}
					path = fill(path, caller, target)
					var body any
					if bodies[id] != nil {
						body = bodies[id](target)
					}
					if id == "confirmmfaenrollment" && caller.user.Role.Valid() {
						body = map[string]string{"code": caller.enrolmentCode()}
					}
					var headers []string
					if strings.HasPrefix(id, "update") {
						headers = []string{"If-Match", admin.do("GET", path, nil).Header.Get("ETag")}
					}
					if p := op.Parameters.GetByInAndName(openapi3.ParameterInHeader, "Idempotency-Key"); p != nil && p.Required {
						headers = append(headers, moneyKey()...)
					}
					res := caller.do(cl.method, path, body, headers...)
					if renewsSession[id] && res.StatusCode == http.StatusOK {
						caller.adopt(res) // the session goes on under the new token
					}
					want := "2xx"
					switch {
					case name == "anonymous":
						want = "401"
					case !slices.Contains(roles, name):
						// Staff operations list staff roles only: a victim, an unknown role and an unknown
						// kind of caller are all refused.
						want = "403"
					case caseScoped && target.Id == other.Id && (name == "advocate" || name == "prosecutor"):
						want = "404"
					}
					got := fmt.Sprint(res.StatusCode)
					if want == "2xx" && res.StatusCode >= 200 && res.StatusCode < 300 {
						got = "2xx"
					}
					if got != want {
						which := "own-team case"
						if target.Id == other.Id {
							which = "other case"
						}
						t.Errorf("%s %s as %s on the %s: %d; want %s: %s", cl.method, cl.path, name, which, res.StatusCode, want, res.Body)
					}
				}
			}
		}
	})
}

// impostors answers the session lookups of callers no sign-in of today's makes — a victim (whose sessions come
// with the portal), a staff account in a role the service does not know, a caller of an unknown kind — and
// passes every other call to the real store, so that everything after the lookup is the real server.
type impostors struct {
	*models.Store
	sessions map[string]models.Session
}

// SessionUser answers the impostors' own tokens, and asks the store about any other.
func (s *impostors) SessionUser(ctx context.Context, token string) (models.User, models.Session, error) {
	if sess, ok := s.sessions[token]; ok {
		return models.User{ID: sess.Actor.ID, Role: sess.Actor.Role, Active: true}, sess, nil
	}
	return s.Store.SessionUser(ctx, token)
}

// signIn returns a copy of anonymous whose session acts for actor.
func (s *impostors) signIn(anonymous *client, actor models.Actor) *client {
	token := uuid.NewString()
	s.sessions[token] = models.Session{ID: uuid.NewString(), UserID: actor.ID, Role: actor.Role, MFA: true, Actor: actor}
	signed := *anonymous
	signed.user = models.User{ID: actor.ID, Role: actor.Role}
	signed.cookie = "il_session=" + token
	// The CSRF token of a session, derived from its token as the server derives it.
	mac := hmac.New(sha256.New, []byte(token))
	mac.Write([]byte("impactledger csrf token"))
	signed.csrf = base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
	return &signed
}

func extensionRoles(op *openapi3.Operation) []string {
	list, _ := op.Extensions["x-roles"].([]any)
	var roles []string
	for _, r := range list {
		roles = append(roles, fmt.Sprint(r))
	}
	return roles
}
