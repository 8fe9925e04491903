// Package labelweb is the labeling workbench at /label in modelspec serve:
// trainers sign in, compare responses with the clauses that apply beside
// them, choose or rank, rate each response, cite clauses and comment, all
// from the keyboard; the auto-grader's suggestion shows only once they
// have answered; a project's lead sees progress, disagreements and
// agreement, and exports preference pairs.
//
// Boundary: HTTP and HTML only. Labels, agreement and exports come from
// internal/label, storage from a store.Labels, sessions, CSRF and headers
// from internal/web. Pages are html/template (escaped) with embedded
// assets and no inline script.
package labelweb
