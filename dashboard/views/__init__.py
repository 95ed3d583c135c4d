"""Dashboard pages, one module per page; run by ``st.navigation`` from ``dashboard/app.py``.

Deliberately not named ``pages/``: a ``pages`` folder beside the entry script switches
Streamlit into its legacy multipage mode, where the entry script (the sidebar run
picker) is skipped on every page but the first.
"""
