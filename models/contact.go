package models

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Address is a US mailing address.
type Address struct {
	Line1      string `json:"line1"`
	Line2      string `json:"line2"`
	City       string `json:"city"`
	State      string `json:"state"`
	PostalCode string `json:"postal_code"`
}

// ssnPattern accepts the two spellings of an SSN people type: 123-45-6789 and 123456789.
var ssnPattern = regexp.MustCompile(`^(\d{3})-?(\d{2})-?(\d{4})$`)

// cleanSSN checks an SSN and returns its nine digits. Numbers the Social Security Administration never
// issues are refused: area 000, 666 or 900-999, group 00, serial 0000. Mixed spellings such as 123-456789
// are refused too, since they are more likely typing mistakes than SSNs.
func cleanSSN(v *ValidationError, field, ssn string) string {
	ssn = strings.TrimSpace(ssn)
	m := ssnPattern.FindStringSubmatch(ssn)
	if m == nil || (strings.Contains(ssn, "-") && strings.Count(ssn, "-") != 2) {
		v.add(field, "must be nine digits, as 123-45-6789 or 123456789")
		return ""
	}
	area, group, serial := m[1], m[2], m[3]
	if area == "000" || area == "666" || area[0] == '9' || group == "00" || serial == "0000" {
		v.add(field, "is not a number that is ever issued as an SSN")
		return ""
	}
	return area + group + serial
}

// formatSSN spells nine SSN digits as 123-45-6789.
func formatSSN(digits string) string {
	if len(digits) != 9 {
		return digits
	}
	return digits[:3] + "-" + digits[3:5] + "-" + digits[5:]
}

// checkBirthDate records a problem with field unless d is a plausible date of birth: from 1900 on and not
// after today.
func checkBirthDate(v *ValidationError, field string, d *Date, today Date) {
	if d == nil {
		return
	}
	if d.Year < MinYear {
		v.add(field, fmt.Sprintf("must be in %d or later", MinYear))
	} else if d.Time().After(today.Time()) {
		v.add(field, "must not be in the future")
	}
}

// ageOn is how many whole years someone born on born is on day.
func ageOn(born, day Date) int {
	age := day.Year - born.Year
	if day.Month < born.Month || (day.Month == born.Month && day.Day < born.Day) {
		age--
	}
	return age
}

// cleanContactEmail checks an email address and returns it trimmed; empty means none.
func cleanContactEmail(v *ValidationError, field, email string) string {
	email = strings.TrimSpace(email)
	if email == "" {
		return ""
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || len(email) > 254 || hasControl(email, false) {
		v.add(field, "must be an email address such as name@example.com")
	}
	return email
}

// phoneSeparators are what people put between the digits of a phone number.
var phoneSeparators = strings.NewReplacer(" ", "", "-", "", ".", "", "(", "", ")", "")

// e164 is an international number: a plus and 8 to 15 digits, the first not 0.
var e164 = regexp.MustCompile(`^\+[1-9]\d{7,14}$`)

// cleanPhone checks a phone number and returns it in E.164 form (+19705551234). Ten digits are a US number;
// a number starting with + is international. North American numbers must have an area code and exchange
// starting 2 to 9, as every issued one does. Empty means none.
func cleanPhone(v *ValidationError, field, phone string) string {
	phone = strings.TrimSpace(phone)
	if phone == "" {
		return ""
	}
	compact := phoneSeparators.Replace(phone)
	switch {
	case len(compact) == 10 && allDigits(compact):
		compact = "+1" + compact
	case len(compact) == 11 && compact[0] == '1' && allDigits(compact):
		compact = "+" + compact
	}
	if !e164.MatchString(compact) {
		v.add(field, "must be a US number of ten digits or an international number starting with +")
		return ""
	}
	if strings.HasPrefix(compact, "+1") && (len(compact) != 12 || compact[2] < '2' || compact[5] < '2') {
		v.add(field, "is not a North American number that can be dialled")
		return ""
	}
	return compact
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// usStates are the USPS codes of the states, the District of Columbia, the territories and military posts.
var usStates = strings.Fields(`AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO
	MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI UM AA AE AP`)

// zipCode is a five-digit ZIP code, optionally with its four-digit extension.
var zipCode = regexp.MustCompile(`^\d{5}(-\d{4})?$`)

var (
	addressLineRule = textRule{maxRunes: 200}
	cityRule        = textRule{required: true, maxRunes: 100}
)

// cleanAddress checks an address field by field (errors named field.line1 and so on) and returns it
// trimmed, with the state in capitals.
func cleanAddress(v *ValidationError, field string, a *Address) *Address {
	if a == nil {
		return nil
	}
	out := Address{
		Line1:      cleanText(v, field+".line1", a.Line1, textRule{required: true, maxRunes: 200}),
		Line2:      cleanText(v, field+".line2", a.Line2, addressLineRule),
		City:       cleanText(v, field+".city", a.City, cityRule),
		State:      strings.ToUpper(strings.TrimSpace(a.State)),
		PostalCode: strings.TrimSpace(a.PostalCode),
	}
	if !slices.Contains(usStates, out.State) {
		v.add(field+".state", "must be the two-letter code of a US state or territory, such as CO")
	}
	if !zipCode.MatchString(out.PostalCode) {
		v.add(field+".postal_code", "must be a ZIP code such as 81501 or 81501-1234")
	}
	return &out
}

// languageTag is a BCP 47 language tag as people write them: en, es, pt-BR, zh-Hant.
var languageTag = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)

// cleanLanguage checks a language tag and returns it trimmed.
func cleanLanguage(v *ValidationError, field, tag string) string {
	tag = strings.TrimSpace(tag)
	if len(tag) > 35 || !languageTag.MatchString(tag) {
		v.add(field, "must be a language tag such as en or es")
	}
	return tag
}

// today is the calendar date now, in UTC.
func (s *Store) today() Date { return DateOf(s.now().In(time.UTC)) }
