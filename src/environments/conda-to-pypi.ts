/**
 * The one reviewed map from conda package names to PyPI names, for the `environment.yml` files the
 * harness's conda builds read (matplotlib's `environment.yml`, xarray's `ci/requirements/environment.yml`).
 * A conda name not listed here is taken to be its PyPI name (true for most: numpy, scipy, pandas, …).
 *
 * `null` marks what conda ships that PyPI does not install as a Python package: the interpreter,
 * compilers, C libraries and command-line programs. Those are left out of a spec environment and
 * named in its build log; the Debian packages (or the host) must provide them, which is where a
 * spec environment is still not the harness's conda environment (README, "spec-built environments").
 *
 * Reviewed against conda-forge's feedstock names for every dependency of the Lite repositories'
 * environment files; add an entry with the conda-forge name on the left.
 */
export const CONDA_TO_PYPI: Readonly<Record<string, string | null>> = {
  // Renamed on PyPI.
  "dask-core": "dask",
  "matplotlib-base": "matplotlib",
  iris: "scitools-iris",
  netcdf4: "netCDF4",
  pyqt: "PyQt5",
  pygobject: "PyGObject",
  wxpython: "wxPython",
  "python-graphviz": "graphviz",
  pytables: "tables",
  "typing-extensions": "typing_extensions",
  "importlib-metadata": "importlib_metadata",
  // Not Python packages: the interpreter and pip themselves, compilers, C/C++ libraries, programs.
  python: null,
  cairo: null,
  pip: null,
  "c-compiler": null,
  "cxx-compiler": null,
  compilers: null,
  ffmpeg: null,
  freetype: null,
  ghostscript: null,
  graphviz: null,
  // conda-forge's GTK 4 C library (matplotlib 3.6's environment.yml, for its gtk4 backend tests); PyPI
  // has no such package, so resolving it failed the whole environment.
  gtk4: null,
  hdf5: null,
  imagemagick: null,
  inkscape: null,
  libnetcdf: null,
  "pkg-config": null,
  qhull: null,
  texlive: null,
  "texlive-core": null,
  tk: null,
  "font-ttf-dejavu-sans-mono": null,
  // conda-forge only (UV-CDAT's cdms2 was never published on PyPI): xarray's environment.yml lists it.
  cdms2: null,
  // conda-forge's split pandoc binary is a program; the PyPI `pandoc` wrapper is not it.
  pandoc: null,
};

/** The PyPI name for a conda name, or null when conda's package is not a Python package. */
export function pypiName(condaName: string): string | null {
  const key = condaName.toLowerCase();
  return key in CONDA_TO_PYPI ? (CONDA_TO_PYPI[key] ?? null) : condaName;
}
