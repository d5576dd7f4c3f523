#include "io/zip_archive.h"

#include <zip.h>

#include "util/error.h"

namespace ss::io {

namespace {

// Deflate cannot expand data by more than ~1032:1; a larger claimed size is a lie (or a bomb).
constexpr uint64_t kMaxDeflateRatio = 1032;

[[noreturn]] void entry_error(const std::string& path, const std::string& name,
                              const std::string& what) {
  throw Error(path + ": zip entry '" + name + "' " + what);
}

}  // namespace

ZipArchive::ZipArchive(std::shared_ptr<const MmapFile> file) : file_(std::move(file)) {
  zip_error_t err;
  zip_error_init(&err);
  zip_source_t* src = zip_source_buffer_create(file_->data(), file_->size(), 0, &err);
  if (src) {
    // ZIP_CHECKCONS cross-checks the central directory against the local headers.
    zip_ = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &err);
    if (!zip_) zip_source_free(src);
  }
  if (!zip_) {
    const std::string why = zip_error_strerror(&err);
    zip_error_fini(&err);
    throw Error(path() + ": not a valid zip archive: " + why);
  }
  zip_error_fini(&err);
}

ZipArchive::~ZipArchive() { zip_discard(zip_); }

std::string ZipArchive::first_name() const {
  const char* name =
      zip_get_num_entries(zip_, 0) > 0 ? zip_get_name(zip_, 0, ZIP_FL_ENC_RAW) : nullptr;
  if (!name) throw Error(path() + ": the zip archive has no entries");
  return name;
}

std::optional<uint64_t> ZipArchive::entry_size(const std::string& name) const {
  zip_stat_t st;
  if (zip_stat(zip_, name.c_str(), ZIP_FL_ENC_RAW, &st) != 0 || !(st.valid & ZIP_STAT_SIZE))
    return std::nullopt;
  return st.size;
}

std::vector<uint8_t> ZipArchive::read(const std::string& name) const {
  auto fail = [&](const std::string& what) { entry_error(path(), name, what); };
  zip_stat_t st;
  const zip_int64_t index = zip_name_locate(zip_, name.c_str(), ZIP_FL_ENC_RAW);
  if (index < 0 || zip_stat_index(zip_, static_cast<zip_uint64_t>(index), 0, &st) != 0)
    fail("is missing");
  const zip_uint64_t need = ZIP_STAT_SIZE | ZIP_STAT_COMP_SIZE | ZIP_STAT_COMP_METHOD;
  if ((st.valid & need) != need) fail("has no size information");
  if (st.comp_size > file_->size()) fail("claims more compressed bytes than the file has");
  if (st.comp_method == ZIP_CM_STORE) {
    if (st.size != st.comp_size) fail("is stored uncompressed but its sizes disagree");
  } else if (st.comp_method == ZIP_CM_DEFLATE) {
    if (st.size / kMaxDeflateRatio > st.comp_size)
      fail("claims " + std::to_string(st.size) + " bytes, more than its " +
           std::to_string(st.comp_size) + " compressed bytes can hold");
  } else {
    fail("uses compression method " + std::to_string(st.comp_method) +
         "; expected stored or deflate");
  }

  std::vector<uint8_t> out(static_cast<size_t>(st.size));
  zip_file_t* f = zip_fopen_index(zip_, static_cast<zip_uint64_t>(index), 0);
  if (!f) fail(std::string("cannot be opened: ") + zip_strerror(zip_));
  uint64_t got = 0;
  zip_int64_t n = 1;
  while (got < out.size() && (n = zip_fread(f, out.data() + got, out.size() - got)) > 0)
    got += static_cast<uint64_t>(n);
  // Reading on to the end of the entry makes libzip check its CRC (and catches extra bytes).
  uint8_t extra;
  if (n > 0) n = zip_fread(f, &extra, 1);
  const std::string why = n < 0 ? zip_file_strerror(f) : "";
  zip_fclose(f);
  if (n != 0 || got != out.size())
    fail(n < 0 ? "is corrupt: " + why
               : "does not hold the " + std::to_string(st.size) + " bytes it claims");
  return out;
}

}  // namespace ss::io
