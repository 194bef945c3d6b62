"""Files, the official calendar and the exports of data sharing."""
