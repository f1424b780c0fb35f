// Device lists of `yolo train --device` and the process count of a run: split_device_list ("0,1,2",
// "cuda:0,cuda:1", "cpu"), take_world_flag (the engine's --world N for CPU ranks) and
// take_master_port_flag (--master-port N of the spawned ranks), both removed from the arguments before
// the settings parser sees them, and launch_spec (how many processes to spawn).
#pragma once
#include <string>
#include <vector>

namespace ye::yolo {

std::vector<std::string> split_device_list(const std::string& text);

// Removes `--world N`, `--world=N` or `world=N` from argv and returns N (0 when absent). Throws
// ye::Error when N is not a positive integer.
int take_world_flag(std::vector<std::string>& argv);
// Removes `--master-port N` / `--master_port N` (also `=N` and `master_port=N`): the rendezvous port of
// the ranks `yolo train` starts itself (0 when absent: a free port). Throws unless 1 <= N <= 65535.
int take_master_port_flag(std::vector<std::string>& argv);

struct LaunchSpec {
  int world = 1;                      // processes
  bool cpu = false;                   // CPU ranks (TCP back end) rather than one GPU each
  std::vector<std::string> devices;   // per local rank (GPU runs)
  bool spawn() const { return world > 1; }
};

// --device 0,1,2,3 -> 4 GPU processes; --device cpu --world N -> N CPU processes; a single device
// (or none) -> 1. Throws ye::Error for --world with a GPU list of another length or a single GPU.
LaunchSpec launch_spec(const std::string& device, int world_flag);

}  // namespace ye::yolo
