package sim

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"starling/sim/report"
)

// Report file names inside the output directory.
const (
	ReportJSON = "report.json"
	ReportHTML = "report.html"
)

// WriteReports writes r as dir/report.json and dir/report.html, creating
// dir if needed, and returns the two paths.
func WriteReports(dir string, r *report.Report) (jsonPath, htmlPath string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("create the report directory: %w", err)
	}
	jsonPath, htmlPath = filepath.Join(dir, ReportJSON), filepath.Join(dir, ReportHTML)
	if err := writeFile(jsonPath, func(w io.Writer) error { return report.WriteJSON(w, r) }); err != nil {
		return "", "", err
	}
	if err := writeFile(htmlPath, func(w io.Writer) error { return report.WriteHTML(w, r) }); err != nil {
		return "", "", err
	}
	return jsonPath, htmlPath, nil
}

func writeFile(path string, write func(io.Writer) error) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write the report: %w", err)
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	w := bufio.NewWriter(f)
	if err := write(w); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return w.Flush()
}
