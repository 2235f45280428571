// Gives this browser an anonymous visitor id that survives refreshes and new tabs: kept in
// localStorage and in a first-party cookie (which the server reads on the next page load).
// The server proposes an id; a browser that already has one keeps its own and says so.
// The id never goes into the page's URL.
const KEY = "dlx_visitor";
const VALID = /^[A-Za-z0-9_-]{16,64}$/;

export default function (component) {
  const { data, setStateValue } = component;
  let id = null;
  try {
    id = window.localStorage.getItem(KEY);
  } catch (e) {
    id = null; // storage blocked: the cookie alone carries the id
  }
  if (!id || !VALID.test(id)) {
    const m = document.cookie.match(/(?:^|;\s*)dlx_visitor=([A-Za-z0-9_-]{16,64})/);
    id = m ? m[1] : data.proposed;
  }
  try {
    window.localStorage.setItem(KEY, id);
  } catch (e) {
    /* ignore */
  }
  document.cookie = `${KEY}=${id}; path=/; max-age=31536000; SameSite=Lax`;
  if (id !== data.proposed) setStateValue("id", id);
}
