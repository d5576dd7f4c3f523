// Data-parallel communication for the trainer: a small wrapper over libtorch's c10d
// ProcessGroupGloo (CPU collectives over TCP) and a TCPStore for the rendezvous.
//
// Configured like torchrun: RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT (LOCAL_RANK is read but
// only reported). WORLD_SIZE unset or 1 gives a single-process object that touches no c10d at
// all, so the single-process trainer pays nothing. Rank 0 hosts the store on MASTER_PORT.
// Network interface: GLOO_SOCKET_IFNAME when set (as torch.distributed), loopback when
// MASTER_ADDR is a loopback address, else the address this host's name resolves to.
//
// Every collective has the same timeout (default 60 s): a missing or dead peer fails with an
// ss::Error instead of hanging. Collectives are blocking and must be called in the same order on
// every rank (as in torch.distributed).
#pragma once

#include <ATen/ATen.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ss::train {

class Distributed {
 public:
  // From the torchrun variables. Throws ss::Error naming the variable for a missing or malformed
  // one (e.g. "MASTER_PORT: expected an integer in [1, 65535], got 'x'"), and naming
  // MASTER_ADDR:MASTER_PORT when the rendezvous fails or times out.
  static Distributed from_env(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // A single-process object (rank 0 of 1).
  static Distributed single();

  int rank() const { return rank_; }
  int world() const { return world_; }
  int local_rank() const { return local_rank_; }
  bool is_main() const { return rank_ == 0; }
  bool enabled() const { return world_ > 1; }

  // In place: every tensor becomes the mean over ranks of that tensor. The tensors are flattened
  // into one bucket (one collective, whatever the number of parameters), reduced, divided by the
  // world size and copied back. All must be defined, on the CPU and share one floating dtype;
  // shapes must match across ranks (the same model).
  void all_reduce_mean(std::vector<at::Tensor>& tensors);
  // In place: every rank's tensors become `root`'s (initial weights; no autograd is recorded).
  void broadcast(std::vector<at::Tensor>& tensors, int root = 0);
  void barrier();
  // The sum over ranks of `value` (loss and token counts for logging).
  double all_reduce_sum(double value);

 private:
  struct Impl;
  Distributed(int rank, int world, int local_rank, std::shared_ptr<Impl> impl);

  int rank_ = 0;
  int world_ = 1;
  int local_rank_ = 0;
  std::shared_ptr<Impl> impl_;  // null when world_ == 1
};

}  // namespace ss::train
