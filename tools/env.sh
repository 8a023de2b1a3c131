# Sourced by run.sh: keeps every tool cache inside the checkout's ignored .cache/ folder.
# The Python packages set the same defaults themselves (synthetic/cache_env.py) for direct use.
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export SYNTHHEADS_ROOT="$_root"
export BLENDER_USER_RESOURCES="${BLENDER_USER_RESOURCES:-$_root/.cache/blender}"
export XDG_CACHE_HOME="${XDG_CACHE_HOME:-$_root/.cache/xdg}"
export MPLCONFIGDIR="${MPLCONFIGDIR:-$_root/.cache/matplotlib}"
export TORCH_EXTENSIONS_DIR="${TORCH_EXTENSIONS_DIR:-$_root/.cache/torch_extensions}"
export MESA_SHADER_CACHE_DIR="${MESA_SHADER_CACHE_DIR:-$_root/.cache/mesa}"
export PIP_CACHE_DIR="${PIP_CACHE_DIR:-$_root/.cache/pip}"
mkdir -p "$BLENDER_USER_RESOURCES" "$XDG_CACHE_HOME" "$MPLCONFIGDIR" "$TORCH_EXTENSIONS_DIR" "$MESA_SHADER_CACHE_DIR"
