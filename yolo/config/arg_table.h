// Internal to yolo/config: the table that binds each settings key to its TrainArgs field, value
// type and checks, plus text <-> value conversion per type. train_args.cpp builds the parser, the
// defaults loader, the help text and args.yaml from this one table.
#pragma once
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "yolo/config/train_args.h"

namespace ye::yolo::detail {

using Member = std::variant<bool TrainArgs::*, int64_t TrainArgs::*, double TrainArgs::*,
    std::string TrainArgs::*, std::optional<double> TrainArgs::*, std::optional<int64_t> TrainArgs::*,
    BoolOrText TrainArgs::*, IntOrList TrainArgs::*>;

struct ArgSpec {
  std::string_view key;
  Member member;
  bool nullable = false;      // a string whose unset value is None (printed as null)
  bool fraction = false;      // value must lie in [0, 1]
  bool engine_only = false;   // not a reference key (goes after save_dir in args.yaml)
  std::vector<std::string_view> choices = {};  // allowed texts (case-insensitive), if any
};

const std::vector<ArgSpec>& arg_specs();        // configs/default.toml order
const ArgSpec* find_spec(std::string_view key);  // canonical key only; nullptr if unknown

// Converts text to the field's type and stores it; throws ye::Error naming --key on bad input.
void assign(TrainArgs& args, const ArgSpec& spec, std::string_view text);
// The field's value as args.yaml prints it (block lists start with '\n').
std::string yaml_value(const TrainArgs& args, const ArgSpec& spec);
// Short type name for the help text: BOOL, INT, FLOAT, TEXT, ...
std::string_view type_name(const ArgSpec& spec);
// True for fields that a bare flag (--amp) may set without a value: booleans and bool-or-text.
bool is_flag_like(const ArgSpec& spec);
bool is_bool(const ArgSpec& spec);

}  // namespace ye::yolo::detail
