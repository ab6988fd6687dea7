package models

import (
	"cmp"
	"errors"
	"slices"
	"strings"

	"github.com/impactledger/impactledger/money"
	"github.com/impactledger/impactledger/victimcsv"
)

// importedRow is one row of a victim list, checked as the victims and losses API checks what it is sent:
// the victim (without ID or times), its SSN's nine digits, and its loss if the row has one.
type importedRow struct {
	victim Victim
	ssn    string
	loss   *Loss
}

// fieldColumns names the column of a victim list behind each field the victims and losses validation
// reports on.
var fieldColumns = map[string]victimcsv.Column{
	"kind":                        victimcsv.Kind,
	"name":                        victimcsv.Name,
	"email":                       victimcsv.Email,
	"phone":                       victimcsv.Phone,
	"mailing_address.line1":       victimcsv.AddressLine1,
	"mailing_address.line2":       victimcsv.AddressLine2,
	"mailing_address.city":        victimcsv.City,
	"mailing_address.state":       victimcsv.State,
	"mailing_address.postal_code": victimcsv.PostalCode,
	"date_of_birth":               victimcsv.DateOfBirth,
	"ssn":                         victimcsv.SSN,
	"preferred_language":          victimcsv.PreferredLanguage,
	"is_minor":                    victimcsv.IsMinor,
	"loss.category":               victimcsv.LossCategory,
	"loss.description":            victimcsv.LossDescription,
	"loss.claimed_cents":          victimcsv.LossAmount,
}

var (
	errNotYesNo   = errors.New("must be yes or no (true/false, y/n and 1/0 are read too), or empty for no")
	errNotADate   = errors.New("must be a date in the form YYYY-MM-DD")
	lossColumns   = []victimcsv.Column{victimcsv.LossCategory, victimcsv.LossDescription, victimcsv.LossAmount}
	addressFields = []victimcsv.Column{victimcsv.AddressLine1, victimcsv.AddressLine2, victimcsv.City, victimcsv.State, victimcsv.PostalCode}
)

// checkImportedRow makes a row of a victim list into the victim (and loss) it describes, and lists the
// problems that stop it, one per column at most, in the order of the columns. The victim is filled in as
// far as it goes even with problems, so that duplicates can still be looked for by its valid fields. Enumerations (kind, loss_category)
// are read ignoring letter case; nothing else is changed beyond what the API changes (trimming, a phone
// number in E.164, a state in capitals).
func checkImportedRow(row victimcsv.Row, today Date) (importedRow, []victimcsv.Problem) {
	verr := &ValidationError{}
	value := func(c victimcsv.Column) string { return strings.TrimSpace(row.Value(c)) }
	v := Victim{
		Kind: VictimKind(strings.ToLower(value(victimcsv.Kind))), Name: row.Value(victimcsv.Name),
		Email: row.Value(victimcsv.Email), Phone: row.Value(victimcsv.Phone),
		PreferredLanguage: value(victimcsv.PreferredLanguage), WantsToBeHeard: HeardNone, Status: VictimActive,
		NotificationChannels: []NotificationChannel{},
	}
	if v.PreferredLanguage == "" {
		v.PreferredLanguage = "en"
	}
	switch strings.ToLower(value(victimcsv.IsMinor)) {
	case "", "no", "n", "false", "f", "0":
	case "yes", "y", "true", "t", "1":
		v.IsMinor = true
	default:
		verr.add("is_minor", errNotYesNo.Error())
	}
	if dob := value(victimcsv.DateOfBirth); dob != "" {
		d, err := ParseDate(dob)
		if err != nil {
			verr.add("date_of_birth", errNotADate.Error())
		} else {
			v.DateOfBirth = &d
		}
	}
	for _, c := range addressFields {
		if value(c) != "" {
			v.MailingAddress = &Address{Line1: row.Value(victimcsv.AddressLine1), Line2: row.Value(victimcsv.AddressLine2),
				City: row.Value(victimcsv.City), State: row.Value(victimcsv.State), PostalCode: row.Value(victimcsv.PostalCode)}
			break
		}
	}
	out := importedRow{}
	if ssn := value(victimcsv.SSN); ssn != "" {
		out.ssn = cleanSSN(verr, "ssn", ssn)
	}
	v.normalize(verr, today)
	out.victim = v

	if slices.ContainsFunc(lossColumns, func(c victimcsv.Column) bool { return value(c) != "" }) {
		lerr := &ValidationError{}
		l := Loss{Category: LossCategory(strings.ToLower(value(victimcsv.LossCategory))),
			Description: row.Value(victimcsv.LossDescription), Status: LossClaimed}
		amount, amountErr := money.ParseDollars(value(victimcsv.LossAmount))
		switch {
		case value(victimcsv.LossAmount) == "":
			lerr.add("claimed_cents", "is required when the row has a loss")
		case amountErr != nil:
			lerr.add("claimed_cents", amountErr.Error())
		default:
			l.ClaimedCents = amount
		}
		if l.Category == "" {
			lerr.add("category", "is required when the row has a loss")
		}
		l.normalize(lerr, today)
		for field, msg := range lerr.Fields {
			verr.add("loss."+field, msg)
		}
		out.loss = &l
	}
	if len(verr.Fields) == 0 {
		return out, nil
	}
	problems := make([]victimcsv.Problem, 0, len(verr.Fields))
	for field, msg := range verr.Fields {
		problems = append(problems, victimcsv.Problem{Line: row.Line, Column: string(fieldColumns[field]), Message: msg})
	}
	sortByColumn(problems)
	return out, problems
}

// sortByColumn orders a row's problems as its columns are ordered in a template, whole-line ones first.
func sortByColumn(problems []victimcsv.Problem) {
	slices.SortStableFunc(problems, func(a, b victimcsv.Problem) int {
		return cmp.Compare(slices.Index(victimcsv.Columns, victimcsv.Column(a.Column)), slices.Index(victimcsv.Columns, victimcsv.Column(b.Column)))
	})
}

// hasProblem reports whether problems include one with any of columns.
func hasProblem(problems []victimcsv.Problem, columns ...victimcsv.Column) bool {
	return slices.ContainsFunc(problems, func(p victimcsv.Problem) bool {
		return slices.Contains(columns, victimcsv.Column(p.Column))
	})
}
