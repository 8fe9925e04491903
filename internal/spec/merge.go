package spec

import "fmt"

// Extend returns the spec that child describes on top of base (the spec
// its front matter's extends names). A child section with the id of a base
// section replaces it in place; new sections follow the base's. A child may
// refine a default, but it may not weaken a clause that cannot be
// overridden: changing the authority or kind of a rule, an objective, or a
// root or system clause is a rule-override error, and the base clause stays.
func Extend(base, child *Spec) (*Spec, []Problem) {
	out := &Spec{File: child.File, Name: child.Name, Version: child.Version, Extends: child.Extends}
	if out.Name == "" {
		out.Name = base.Name
	}
	var problems []Problem
	index := map[string]int{}
	for _, sec := range base.Sections {
		if sec.ID != "" {
			index[sec.ID] = len(out.Sections)
		}
		out.Sections = append(out.Sections, sec)
	}
	for _, sec := range child.Sections {
		i, ok := index[sec.ID]
		if sec.ID == "" || !ok {
			out.Sections = append(out.Sections, sec)
			continue
		}
		old := out.Sections[i]
		oldAuth, oldKind := base.EffectiveAuthority(old), base.EffectiveKind(old)
		locked := oldKind == Rule || oldKind == Objective || oldAuth == Root || oldAuth == System
		if locked && (child.EffectiveAuthority(sec) != oldAuth || child.EffectiveKind(sec) != oldKind) {
			problems = append(problems, Problem{File: child.File, Pos: sec.Pos, Code: CodeRuleOverride, Severity: Error,
				Message: fmt.Sprintf("#%s is a %s at %s authority in %s: an extending spec may refine its text but not change its authority or kind", sec.ID, oldKind, oldAuth, base.File)})
			continue
		}
		out.Sections[i] = sec
	}
	out.Footnotes = append(append(out.Footnotes, base.Footnotes...), child.Footnotes...)
	return out, problems
}
