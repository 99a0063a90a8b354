//! `parallel-sum --workers N --to M --via MECH`: the study notes' sum of 1..M over N worker
//! processes, the partial sums sent back through one IPC mechanism. See
//! [`ipckit_demos::sum`] and `parallel-sum --help`.

fn main() -> std::process::ExitCode {
    ipckit_demos::sum::main()
}
