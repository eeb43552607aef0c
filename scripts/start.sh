#!/bin/sh
# The README's first command ends here: the GUI when there is a display, else
# the headless comparison of every method, asked for by name (plain
# `copyscope` without a display only says why it cannot open a window).
bin=${COPYSCOPE:-$(dirname "$0")/../build/copyscope}
if [ -n "${DISPLAY}${WAYLAND_DISPLAY}" ]; then
  exec "$bin" gui
fi
echo "start.sh: no display, so no window: comparing every method instead (copyscope compare --all)" >&2
exec "$bin" compare --all
