# shellcheck shell=bash
# busy_neighbours: processes that take more than a quarter of a core (sampled over one second),
# e.g. a local queue server still working through an earlier run's backlog. A run's numbers are
# not comparable while one is there; the reports say what was busy before they started.
busy_neighbours() {
    top -b -n2 -d1 | awk '/^top -/ {sample++} sample == 2 && $1 ~ /^[0-9]+$/ && $9 > 25 {
        printf "%s%s %s%%", sep, $12, $9; sep = ", " }'
}
