// Package label is the core of the RLHF data tools: comparison tasks (a
// conversation and two or more candidate responses, with the clauses that
// apply), the labels trainers and auto-graders give them (a choice or a
// ranking, a rating per response on the rule-based-reward classes, cited
// clauses), agreement statistics (Cohen's kappa, Krippendorff's alpha) and
// the export of preference pairs in the formats fine-tuning services read.
//
// Boundary: label is pure. It never imports net/http or database/sql, never
// reads files, the clock or randomness: times come in on the labels,
// readers and writers are the caller's, and the policy and detectors that
// choose a task's clauses are passed in. Storage is internal/store's;
// grading with the evaluator's graders is internal/label/autograde's; the
// workbench is internal/web/label's.
package label
