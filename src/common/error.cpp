#include "common/error.hpp"

namespace trigml {

std::string ErrorContext::describe() const {
  std::string out = file;
  auto append = [&out](const std::string& part) {
    if (!out.empty()) out += ": ";
    out += part;
  };
  if (!object.empty()) append(object);
  if (offset) append(fmt::format("offset {}", *offset));
  return out;
}

static std::string compose(const std::string& what, const ErrorContext& context) {
  std::string where = context.describe();
  return where.empty() ? what : where + ": " + what;
}

Error::Error(std::string what, ErrorContext context)
    : std::runtime_error(compose(what, context)), context_(std::move(context)), detail_(std::move(what)) {}

}  // namespace trigml
