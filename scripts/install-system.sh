#!/usr/bin/env bash
# System packages nodegraph and its tests use on Debian: a virtual screen and a font for the editor
# tests, xdotool for real mouse events, liblo's tools as an independent OSC peer,
# a JACK server (dummy driver) for real MIDI and audio ports where ALSA does not exist, and
# PortAudio (Debian's is built with JACK) for the sound engine (python-sounddevice).
set -euo pipefail
packages=(xvfb xauth xdotool x11-utils libgl1 libgl1-mesa-dri libegl1 fonts-dejavu-core liblo-tools jackd2 libjack-jackd2-0 libportaudio2)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  echo "jackd2 jackd/tweak_rt_limits boolean false" | $SUDO debconf-set-selections
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}"
fi
