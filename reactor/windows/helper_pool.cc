#include "reactor/windows/helper_pool.h"

#include <cassert>
#include <utility>

namespace tofu::afd {

HelperPool::~HelperPool() {
  for (const std::unique_ptr<Helper>& h : all_) system_.CloseHelper(h->handle);
}

void HelperPool::AddRoom(Helper* helper) {
  helper->room_index = static_cast<int64_t>(with_room_.size());
  with_room_.push_back(helper);
}

void HelperPool::RemoveRoom(Helper* helper) {
  const size_t i = static_cast<size_t>(helper->room_index);
  with_room_[i] = with_room_.back();
  with_room_[i]->room_index = static_cast<int64_t>(i);
  with_room_.pop_back();
  helper->room_index = -1;
}

absl::StatusOr<Helper*> HelperPool::Acquire() {
  Helper* helper = nullptr;
  if (!with_room_.empty()) {
    helper = with_room_.back();
  } else {
    absl::StatusOr<Handle> handle = system_.OpenHelper();
    if (!handle.ok()) return handle.status();
    auto fresh = std::make_unique<Helper>();
    fresh->handle = *handle;
    fresh->index = all_.size();
    helper = fresh.get();
    all_.push_back(std::move(fresh));
    AddRoom(helper);
  }
  if (++helper->sockets == per_helper_) RemoveRoom(helper);
  return helper;
}

void HelperPool::Release(Helper* helper) {
  assert(helper->sockets > 0);
  if (helper->sockets-- == per_helper_) AddRoom(helper);
  // An empty helper is kept only while no other has room: the next Acquire()
  // reuses it instead of opening one.
  if (helper->sockets > 0 || with_room_.size() == 1) return;
  RemoveRoom(helper);
  system_.CloseHelper(helper->handle);
  const size_t i = helper->index;
  all_[i] = std::move(all_.back());
  all_[i]->index = i;
  all_.pop_back();
}

}  // namespace tofu::afd
