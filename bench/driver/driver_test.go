package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestMedian(t *testing.T) {
	require.Equal(t, time.Duration(0), median(nil))
	require.Equal(t, 2*time.Second, median([]time.Duration{3 * time.Second, time.Second, 2 * time.Second}))
	require.Equal(t, 2500*time.Millisecond, median([]time.Duration{4 * time.Second, time.Second, 2 * time.Second, 3 * time.Second}))
}

func TestSummarizeTakesTheMedianTimeAndThePeakRSS(t *testing.T) {
	m := summarize([]sample{
		{wall: 3 * time.Second, cpu: 4 * time.Second, maxRSS: 10},
		{wall: 1 * time.Second, cpu: 2 * time.Second, maxRSS: 30},
		{wall: 2 * time.Second, cpu: 3 * time.Second, maxRSS: 20},
	})
	require.Equal(t, measurement{runs: 3, wall: 2 * time.Second, cpu: 3 * time.Second, maxRSS: 30}, m)
}

func TestProjectTime(t *testing.T) {
	// Linear growth, and a single earlier size, project linearly.
	require.Equal(t, 10*time.Second, projectTime(10000, 1000, 100, time.Second, 100*time.Millisecond))
	require.Equal(t, 10*time.Second, projectTime(10000, 1000, 0, time.Second, 0))
	// Quadratic growth stays quadratic.
	require.InDelta(t, float64(100*time.Second), float64(projectTime(10000, 1000, 100, time.Second, 10*time.Millisecond)), float64(time.Millisecond))
	// Growth below linear (noise at small sizes) is taken as linear.
	require.Equal(t, 10*time.Second, projectTime(10000, 1000, 100, time.Second, 900*time.Millisecond))
}

func TestThousands(t *testing.T) {
	for n, want := range map[int]string{1: "1", 100: "100", 1000: "1,000", 10000: "10,000", 1234567: "1,234,567"} {
		require.Equal(t, want, thousands(n))
	}
}

func TestStarvedWhenWallFarExceedsCPU(t *testing.T) {
	require.False(t, measurement{runs: 1, wall: time.Second, cpu: 2 * time.Second}.starved(), "parallel GC: CPU above wall is fine")
	require.False(t, measurement{runs: 1, wall: 14 * time.Second, cpu: 10 * time.Second}.starved())
	require.True(t, measurement{runs: 1, wall: 119 * time.Second, cpu: 12 * time.Second}.starved())
	require.False(t, measurement{skipped: "skipped: x"}.starved())
}
