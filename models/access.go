package models

import (
	"context"

	"gorm.io/gorm"
)

// Reach is which cases a caller reaches through staff operations, and with them the victims, defendants,
// hearings, statements, losses, documents, imports and restitution orders that belong to those cases.
type Reach int

// The reaches the access policy grants.
const (
	// ReachNothing is the answer for every caller the policy does not know: deny by default.
	ReachNothing Reach = iota
	// ReachTeams is the cases whose team the caller is on.
	ReachTeams
	// ReachAllCases is every case.
	ReachAllCases
	// ReachOwnVictim is one victim record, the caller's own, and only through the victims' portal: no staff
	// operation reaches anything with it.
	ReachOwnVictim
)

// StatementAccess is what a caller may do with impact statements within its reach.
type StatementAccess int

// The kinds of statement access.
const (
	// StatementsNone: statement text is never handed over.
	StatementsNone StatementAccess = iota
	// StatementsRead: read statements and their revisions, for sentencing exhibits.
	StatementsRead
	// StatementsWrite: read, write, submit and finalize statements.
	StatementsWrite
)

// ViewNothing is the victim view of a caller that may see no victim through staff operations: nothing of the
// victim but its ID.
const ViewNothing VictimView = ""

// Access is everything the access policy grants one caller.
type Access struct {
	// Reach is which cases the caller reaches.
	Reach Reach
	// UserID is the staff account whose teams ReachTeams follows.
	UserID string
	// VictimID is the caller's own victim record, with ReachOwnVictim.
	VictimID string
	// VictimView is how much of a victim the caller sees within its reach, and so what a search may match.
	VictimView VictimView
	// Statements is what the caller may do with impact statements within its reach.
	Statements StatementAccess
	// ChangesTeams says whether the caller may change the team of a case within its reach.
	ChangesTeams bool
}

// AccessOf is the access policy: one exhaustive decision per kind of caller, and the only place where who
// sees what is decided. The system (the command line, and background jobs on behalf of nobody), and staff
// administrators, supervisors and clerks reach every case; advocates and prosecutors their teams' cases; a
// victim only their own victim record, through the portal. Anything else — an unknown role, an unknown kind of
// caller, a request that is not signed in, or work that names no caller at all — reaches nothing.
func AccessOf(actor Actor) Access {
	switch actor.Type {
	case ActorSystem:
		return Access{Reach: ReachAllCases, VictimView: ViewFull, Statements: StatementsWrite, ChangesTeams: true}
	case ActorUser:
		if !ValidID(actor.ID) {
			return Access{}
		}
		access := roleAccess(actor.Role)
		if access.Reach != ReachNothing {
			access.UserID = actor.ID
		}
		return access
	case ActorVictim:
		if ValidID(actor.ID) {
			return Access{Reach: ReachOwnVictim, VictimID: actor.ID}
		}
	}
	return Access{}
}

// roleAccess is what a staff role grants, before the account that holds it is known.
func roleAccess(role Role) Access {
	switch role {
	case RoleAdmin, RoleSupervisor:
		return Access{Reach: ReachAllCases, VictimView: ViewFull, Statements: StatementsWrite, ChangesTeams: true}
	case RoleAdvocate:
		// Advocates run their cases: they change the teams they are on.
		return Access{Reach: ReachTeams, VictimView: ViewFull, Statements: StatementsWrite, ChangesTeams: true}
	case RoleProsecutor:
		// Fed. R. Crim. P. 49.1: prosecutors compile filings, so they see victims as a filing may show them,
		// and read statements without changing what a victim said.
		return Access{Reach: ReachTeams, VictimView: ViewRule49, Statements: StatementsRead}
	case RoleClerk:
		return Access{Reach: ReachAllCases, VictimView: ViewClerk}
	}
	return Access{}
}

// worksThroughTeams reports whether staff in role work the cases whose team they are on — the advocates and
// prosecutors without whom nobody works a case.
func worksThroughTeams(role Role) bool { return roleAccess(role).Reach == ReachTeams }

// ContractRole names the entry of an operation's x-roles in the API contract that a caller answers to: a
// staff member's role, or "victim" for a victim signed in to the portal; "" — which no operation lists — for
// every caller the policy grants nothing.
func ContractRole(actor Actor) string {
	switch access := AccessOf(actor); {
	case actor.Type == ActorUser && access.Reach != ReachNothing:
		return string(actor.Role)
	case actor.Type == ActorVictim && access.Reach == ReachOwnVictim:
		return "victim"
	}
	return ""
}

// accessIn is the access policy's decision for the caller a query or request context acts for.
func accessIn(ctx context.Context) Access { return AccessOf(requestOf(ctx).Actor) }

// staffReach reports whether a caller reaches cases through staff operations at all.
func (a Access) staffReach() bool { return a.Reach == ReachAllCases || a.Reach == ReachTeams }

// visibleCases narrows a query on cases to those the query's caller reaches: every case, its teams' cases,
// or none.
func visibleCases(q *gorm.DB) *gorm.DB {
	return withinReach(q, "id")
}

// inVisibleCases narrows a query on a table with a case_id column (victims, defendants, hearings, orders…)
// to rows of the cases the query's caller reaches, as visibleCases does for cases themselves.
func inVisibleCases(q *gorm.DB) *gorm.DB {
	return withinReach(q, "case_id")
}

// withinReach narrows q, whose caseColumn names a case, to the cases the caller of q's context reaches.
func withinReach(q *gorm.DB, caseColumn string) *gorm.DB {
	access := accessIn(q.Statement.Context)
	switch access.Reach {
	case ReachAllCases:
		return q
	case ReachTeams:
		return q.Where(caseColumn+" IN (SELECT case_id FROM case_members WHERE user_id = ?)", access.UserID)
	default:
		// A victim's own record is reached through the portal's operations, never through these.
		return q.Where("1 = 0")
	}
}

// seesWhatStaffSee reports whether a view shows what staff who work the case see of the people around it:
// a defendant's date of birth, a hearing's notes. Clerks, and anyone the policy does not know, get neither.
func seesWhatStaffSee(view VictimView) bool {
	return view == ViewFull || view == ViewRule49
}
