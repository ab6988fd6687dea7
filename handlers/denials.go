package handlers

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/impactledger/impactledger/models"
)

// Keys of values the middleware leaves in the gin context for writeProblem.
const (
	operationIDKey = "operation_id"
	denialStoreKey = "denial_store"
)

// withDenialAudit hands the store to writeProblem, which every refusal passes through, so that no code path
// can answer a 403 or 404 without the refusal reaching the audit trail.
func withDenialAudit(store Store) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Set(denialStoreKey, store)
		c.Next()
	}
}

// objectTypes names the record each path parameter addresses, as the audit trail names object types.
var objectTypes = map[string]string{
	"case_id": "case", "victim_id": "victim", "defendant_id": "defendant", "hearing_id": "hearing",
	"statement_id": "statement", "loss_id": "loss", "document_id": "document", "import_id": "victim_import",
	"order_id": "restitution_order", "entry_id": "restitution_entry", "payment_id": "restitution_entry",
	"user_id": "user", "token_id": "api_token", "code": "jurisdiction",
}

// auditDenial records the refusal p is about to answer, when it is one a probe would leave: a signed-in
// caller's 403 anywhere (a role, CSRF or two-factor refusal, or a record they may not change) or 404 on a
// route that addresses a record by ID. The store writes at most one access.denied event per actor per minute,
// counting the rest, so that a scanner cannot flood the trail. A refusal the store also recorded as an event
// of its own (a denied victim.reveal_ssn) is counted here too: access.denied counts every refusal an actor
// met, whatever else recorded it. The object's ID is recorded only when it is a UUID, since a path segment
// is text of the caller's choosing and audit rows never hold such text.
func auditDenial(c *gin.Context, p *Problem) error {
	if p.Status != http.StatusForbidden && p.Status != http.StatusNotFound {
		return nil
	}
	value, _ := c.Get(denialStoreKey)
	store, ok := value.(Store)
	if !ok {
		return nil
	}
	ctx := c.Request.Context()
	actor := models.ActorOf(ctx)
	if actor.ID == "" || (actor.Type != models.ActorUser && actor.Type != models.ActorVictim) {
		return nil
	}
	if len(c.Params) == 0 && p.Status == http.StatusNotFound {
		return nil
	}
	d := models.Denial{Operation: c.GetString(operationIDKey), Reason: strings.TrimPrefix(p.Type, problemBase), Status: p.Status}
	if len(c.Params) > 0 {
		param := c.Params[0]
		d.ObjectType = objectTypes[param.Key]
		if d.ObjectType == "" {
			d.ObjectType = strings.TrimSuffix(param.Key, "_id")
		}
		if id, err := uuid.Parse(param.Value); err == nil {
			d.ObjectID = id.String()
			if d.ObjectType == "case" {
				d.CaseID = d.ObjectID
			}
		}
	}
	return store.RecordDenial(ctx, d)
}
