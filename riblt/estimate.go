package riblt

import "math"

// symbolsFor returns how many coded symbols decode a difference of d keys
// about 19 times in 20: 1.35·d + 3·√d + 4. TestOverhead measured the
// quantiles it is fitted to (300 trials per size): the mean tends to 1.35·d
// for large d, as the paper finds, with a standard deviation near 1.1·√d,
// and small differences have a heavier tail (d = 10: mean 17, 95th
// percentile 26, 99th 39).
func symbolsFor(d int) int {
	if d <= 0 {
		return 1
	}
	f := float64(d)
	return int(math.Ceil(1.35*f+3*math.Sqrt(f))) + 4
}

// Estimate returns the likely size of the whole difference, from the
// counts of the symbols received (before any key was recovered). In symbol
// i ≥ 1 of the difference, each of its d keys is present with probability
// ρ = ρ(i), counting +1 if the peer's and -1 if this side's; symbol 0 holds
// them all, so its count is Δ, the peers' keys minus this side's. So the
// count c of symbol i has mean Δρ and variance d·ρ(1-ρ), and
// c² - (Δρ)² estimates d·ρ(1-ρ). Estimate weighs those estimates by the
// inverse of their variance (about 4μ²σ² + 2σ⁴ for c roughly normal with
// mean μ and variance σ²), which depends on d, so it refines its answer a
// few times from a first guess. The estimate is never below |Δ|; its
// standard error, the second result, is √Σw / Σwρ(1-ρ).
func (d *Decoder) Estimate() (est, stderr int) {
	if d.Decoded() {
		return len(d.remote) + len(d.mine), 0
	}
	if len(d.counts) == 0 {
		return 0, 0
	}
	delta := math.Abs(float64(d.counts[0]))
	e, se := max(delta, float64(len(d.counts))/2, 1), 0.0
	for range 4 {
		var num, den, wsum float64
		for i := 1; i < len(d.counts); i++ {
			rho := 2 / float64(i+2)
			v := rho * (1 - rho)
			mu, sigma2 := delta*rho, e*v
			w := 1 / (4*mu*mu*sigma2 + 2*sigma2*sigma2 + 1e-9)
			c := float64(d.counts[i])
			num += w * (c*c - mu*mu)
			den += w * v
			wsum += w
		}
		if den == 0 {
			se = e
			break
		}
		e, se = max(num/den, delta, 1), math.Sqrt(wsum)/den
	}
	return int(math.Round(e)), int(math.Ceil(se))
}
