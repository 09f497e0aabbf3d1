package media

import (
	"image"
	"testing"
)

// Benchmarks of Prepare on the three kinds of picture at a phone camera's
// 12 megapixels (4000×3000) and a laptop screenshot (2560×1600), each
// reporting the encoded bytes, the longest side and the JPEG quality
// chosen:
//
//	go test -run '^$' -bench . -benchtime 3x ./media/
//
// On a shared machine the wall time per operation varies with the load;
// cpu-s/op (the process's CPU time per operation, garbage collection
// included) does much less. Compare runs with benchstat.

type benchCase struct {
	name string
	file func(b *testing.B) []byte
}

var benchCases = []benchCase{
	{"photo-12MP", func(b *testing.B) []byte { return encodeJPEGFile(b, photoImage(4000, 3000, 1), 92) }},
	{"map-photo-12MP", func(b *testing.B) []byte { return encodeJPEGFile(b, mapImage(b, 4000, 3000, 28, 1), 92) }},
	{"screenshot-2560", func(b *testing.B) []byte { return encodePNGFile(b, screenshotImage(b, 2560, 1600)) }},
}

func BenchmarkPrepare(b *testing.B) {
	for _, bc := range benchCases {
		b.Run(bc.name, func(b *testing.B) {
			file := bc.file(b)
			b.SetBytes(int64(len(file)))
			b.ReportAllocs()
			var im *Image
			cpu := cpuTime()
			for b.Loop() {
				var err error
				if im, err = Prepare(file, Config{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/op")
			b.ReportMetric(float64(len(im.Data)), "out-bytes")
			b.ReportMetric(float64(max(im.Width, im.Height)), "side")
			b.ReportMetric(float64(im.Quality), "quality")
			b.ReportMetric(float64(len(im.Preview)), "preview-bytes")
		})
	}
}

// BenchmarkDecode is Prepare's first step alone: the checks and the
// standard decoder.
func BenchmarkDecode(b *testing.B) {
	file := encodeJPEGFile(b, photoImage(4000, 3000, 1), 92)
	cfg := Config{}.withDefaults()
	b.SetBytes(int64(len(file)))
	for b.Loop() {
		if _, _, err := decode(file, cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkResample: 12 megapixels to 1600×1200, one pass.
func BenchmarkResample(b *testing.B) {
	src := photoImage(4000, 3000, 1)
	var m image.Image = src
	b.ReportAllocs()
	for b.Loop() {
		resample(m, 1600, 1200)
	}
}

// BenchmarkCheck is what every node pays to accept an assembled image.
func BenchmarkCheck(b *testing.B) {
	im, err := Prepare(encodeJPEGFile(b, photoImage(2000, 1500, 1), 92), Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(im.Data)))
	for b.Loop() {
		if _, err := Check(im.Data); err != nil {
			b.Fatal(err)
		}
	}
}
