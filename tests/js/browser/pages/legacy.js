// What every per-generation test page shows, whatever its SDK: the result of getUserInfo() in
// #result (and window.__login for the tests), and the refusal outside WeChat. How a page makes
// its SDK object, calls it and reads its result (userinfo or userInfo) stays in the page.
function showLogin(res, user) {
  var out = document.getElementById('result');
  if (res.ok) {
    localStorage.setItem('_authing_token', user.token);
    out.textContent = '登录成功 ' + user.nickname;
    window.__login = { ok: true, user: user, same: res.userinfo === res.userInfo };
  } else if (location.search.indexOf('code=') >= 0) {
    out.textContent = '登录失败 ' + res.message;
    window.__login = { ok: false, message: res.message };
  }
}

function showNotInWechat() {
  document.getElementById('result').textContent = '请在微信客户端打开链接';
}
